package org.segmentbridge.delivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Delivery metrics, per destination and action. Each meter is looked up in the registry once and then kept: building
 * its id (sorting its tags) and finding it again took four lookups per vendor request, about 1.5 % of a processing
 * drain's CPU.
 */
final class DeliveryMetrics {

    enum Outcome {
        DELIVERED, RETRIED, DEAD_LETTERED, DRY_RUN, SKIPPED;

        /** The value of the items counter's {@code outcome} tag, made once. */
        final String tag = name().toLowerCase(java.util.Locale.ROOT);
    }

    private final MeterRegistry registry;
    private final String destination;
    private final Map<String, Meter> registered = new ConcurrentHashMap<>();

    DeliveryMetrics(MeterRegistry registry, String destination) {
        this.registry = registry;
        this.destination = destination;
    }

    void items(String action, Outcome outcome, int count) {
        meter("items " + action + " " + outcome.tag, () -> Counter.builder("bridge.delivery.items")
                .description("Items by what became of them at a vendor")
                .tag("destination", destination).tag("action", action).tag("outcome", outcome.tag)
                .register(registry)).increment(count);
    }

    void eventsWithoutItems() {
        meter("unrouted", () -> Counter.builder("bridge.delivery.events.unrouted")
                .description("Events no route of the destination turned into a vendor call")
                .tag("destination", destination).register(registry)).increment();
    }

    /** @param reason {@code integrations} (the event's flags keep it away) or {@code erased} (its person was erased) */
    void skipped(String reason) {
        meter("skipped " + reason, () -> Counter.builder("bridge.delivery.events.skipped")
                .description("Events kept from the destination's routes")
                .tag("destination", destination).tag("reason", reason).register(registry)).increment();
    }

    void parked() {
        meter("parked", () -> Counter.builder("bridge.delivery.events.parked")
                .description("Events set to wait for their person's primary key")
                .tag("destination", destination).register(registry)).increment();
    }

    void batch(String action, int items, long bytes) {
        meter("batch items " + action, () -> DistributionSummary.builder("bridge.delivery.batch.items")
                .description("Items per vendor request")
                .tag("destination", destination).tag("action", action).register(registry)).record(items);
        meter("batch bytes " + action, () -> DistributionSummary.builder("bridge.delivery.batch.bytes")
                .description("Body bytes per vendor request")
                .baseUnit("bytes").tag("destination", destination).tag("action", action).register(registry)).record(bytes);
    }

    void vendorLatency(String action, int status, Duration latency) {
        String statusTag = status == 0 ? "none" : Integer.toString(status);
        meter("latency " + action + " " + statusTag, () -> Timer.builder("bridge.delivery.vendor.latency")
                .description("Time from sending a request to the vendor's answer")
                .tag("destination", destination).tag("action", action).tag("status", statusTag)
                .register(registry)).record(latency);
    }

    void rateLimited(String action) {
        meter("rate limited " + action, () -> Counter.builder("bridge.delivery.rate.limited")
                .description("429 answers received from the vendor")
                .tag("destination", destination).tag("action", action).register(registry)).increment();
    }

    @SuppressWarnings("unchecked")
    private <M extends Meter> M meter(String key, Supplier<M> register) {
        return (M) registered.computeIfAbsent(key, ignored -> register.get());
    }
}
