package org.segmentbridge.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/**
 * A vendor's rate limit as the vendor enforces it: more than {@code limit} requests within any one second, and the
 * request is answered 429 with {@code Retry-After: 1} instead of what its stub says. Every arrival is kept, with its
 * nanosecond time, so a test can also count windows itself.
 */
final class RateLimitedVendor implements ResponseDefinitionTransformerV2 {

    private static final long WINDOW_NANOS = 1_000_000_000L;

    private final int limit;
    private final Deque<Long> lastSecond = new ArrayDeque<>();
    private final List<Long> arrivals = new ArrayList<>();
    private int refused;

    RateLimitedVendor(int limit) {
        this.limit = limit;
    }

    @Override
    public synchronized ResponseDefinition transform(ServeEvent serveEvent) {
        long now = System.nanoTime();
        arrivals.add(now);
        while (!lastSecond.isEmpty() && now - lastSecond.peekFirst() >= WINDOW_NANOS) {
            lastSecond.pollFirst();
        }
        lastSecond.addLast(now);
        if (lastSecond.size() > limit) {
            refused++;
            return com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder.responseDefinition().withStatus(429)
                    .withHeader("Retry-After", "1")
                    .withBody("{\"msg\":\"Rate limit exceeded\",\"code\":\"RateLimitExceeded\"}").build();
        }
        return serveEvent.getResponseDefinition();
    }

    @Override
    public String getName() {
        return "rate-limited-vendor";
    }

    synchronized int refused() {
        return refused;
    }

    /** The most requests that arrived within any one second (a window starting at each arrival). */
    synchronized int busiestSecond() {
        int most = 0;
        int from = 0;
        for (int to = 0; to < arrivals.size(); to++) {
            while (arrivals.get(to) - arrivals.get(from) >= WINDOW_NANOS) {
                from++;
            }
            most = Math.max(most, to - from + 1);
        }
        return most;
    }

    synchronized int arrivals() {
        return arrivals.size();
    }
}
