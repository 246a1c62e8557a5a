package org.segmentbridge.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One pacer per credential (and per endpoint of it), shared by every destination that spends that credential. */
final class Pacers {

    private final Map<String, RequestPacer> pacers = new ConcurrentHashMap<>();

    RequestPacer pacer(String key, Rate rate) {
        return pacers.computeIfAbsent(key, ignored -> new RequestPacer(rate));
    }
}
