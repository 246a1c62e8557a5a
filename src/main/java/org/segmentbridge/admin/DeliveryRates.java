package org.segmentbridge.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What each destination did in the last minute, from the delivery meters ({@code bridge.delivery.items} by outcome,
 * {@code bridge.delivery.rate.limited}): their totals now, less the totals sampled a minute ago. A sample is taken
 * every {@link #SAMPLE_EVERY}, so "the last minute" is between 60 and 65 seconds; a bridge younger than that counts
 * everything since it started.
 */
final class DeliveryRates {

    static final Duration WINDOW = Duration.ofMinutes(1);
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);

    /** Counts of one destination: items delivered, retried and dead-lettered, and 429 answers. */
    record Counts(double delivered, double retried, double deadLettered, double rateLimited) {

        static final Counts NONE = new Counts(0, 0, 0, 0);

        Counts minus(Counts earlier) {
            return new Counts(delivered - earlier.delivered, retried - earlier.retried, deadLettered - earlier.deadLettered,
                    rateLimited - earlier.rateLimited);
        }
    }

    private record Sample(Instant at, Map<String, Counts> totals) {
    }

    private final MeterRegistry meters;
    private final List<String> destinations;
    /** Oldest first; the first is the bridge's start, when every meter was zero. */
    private final Deque<Sample> samples = new ArrayDeque<>();

    DeliveryRates(MeterRegistry meters, List<String> destinations, Instant started) {
        this.meters = meters;
        this.destinations = destinations;
        samples.add(new Sample(started, Map.of()));
    }

    /** Takes a sample, and forgets those no longer needed: all but the newest one that is a whole window old. */
    synchronized void sample(Instant now) {
        Map<String, Counts> totals = new HashMap<>();
        destinations.forEach(destination -> totals.put(destination, total(destination)));
        samples.addLast(new Sample(now, totals));
        Instant windowStart = now.minus(WINDOW);
        while (samples.size() > 1 && !samples.stream().skip(1).findFirst().orElseThrow().at().isAfter(windowStart)) {
            samples.removeFirst();
        }
    }

    /** What the destination did since the newest sample that is at least a window old (or since the start). */
    synchronized Counts lastMinute(String destination, Instant now) {
        Instant windowStart = now.minus(WINDOW);
        Sample base = samples.getFirst();
        for (Sample sample : samples) {
            if (!sample.at().isAfter(windowStart)) {
                base = sample;
            }
        }
        return total(destination).minus(base.totals().getOrDefault(destination, Counts.NONE));
    }

    /** Everything since the bridge started. */
    Counts total(String destination) {
        return new Counts(items(destination, "delivered"), items(destination, "retried"), items(destination, "dead_lettered"),
                sum(meters.find("bridge.delivery.rate.limited").tag("destination", destination).counters()));
    }

    private double items(String destination, String outcome) {
        return sum(meters.find("bridge.delivery.items").tag("destination", destination).tag("outcome", outcome).counters());
    }

    private static double sum(java.util.Collection<Counter> counters) {
        return counters.stream().mapToDouble(Counter::count).sum();
    }
}
