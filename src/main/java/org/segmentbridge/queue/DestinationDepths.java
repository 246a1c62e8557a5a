package org.segmentbridge.queue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Events waiting in each destination's log of the embedded broker. The processor publishes a batch's events as one
 * message, so the broker's message count is not an event count: these counters are. They are counted from what the
 * logs hold when the broker starts, then kept as events are published and their acknowledgements committed.
 */
final class DestinationDepths {

    private final Map<String, AtomicLong> waiting;

    DestinationDepths(List<String> destinations) {
        this.waiting = destinations.stream().collect(Collectors.toUnmodifiableMap(Function.identity(), ignored -> new AtomicLong()));
    }

    /** What a log held at the start, before anything reads or writes it. */
    void startAt(String destination, long events) {
        waiting.get(destination).set(events);
    }

    /** A committed publish: {@code onlyFor} null reaches every destination's log. */
    void published(String onlyFor, long events) {
        if (onlyFor == null) {
            waiting.values().forEach(count -> count.addAndGet(events));
        } else {
            AtomicLong count = waiting.get(onlyFor);
            if (count != null) {
                count.addAndGet(events);
            }
        }
    }

    /** Committed acknowledgements. */
    void acknowledged(String destination, long events) {
        waiting.get(destination).addAndGet(-events);
    }

    /**
     * Events waiting (read and not yet acknowledged ones included). A reader may commit its acknowledgement of an
     * event a moment before the processor counts its publish: the count can dip below zero for that moment.
     */
    long depth(String destination) {
        AtomicLong count = waiting.get(destination);
        return count == null ? 0 : Math.max(0, count.get());
    }
}
