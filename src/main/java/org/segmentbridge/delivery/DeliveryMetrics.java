package org.segmentbridge.delivery;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Delivery metrics, per destination and action. */
final class DeliveryMetrics {

    enum Outcome { DELIVERED, RETRIED, DEAD_LETTERED, DRY_RUN, SKIPPED }

    private final MeterRegistry registry;
    private final String destination;

    DeliveryMetrics(MeterRegistry registry, String destination) {
        this.registry = registry;
        this.destination = destination;
    }

    void items(String action, Outcome outcome, int count) {
        Counter.builder("bridge.delivery.items").description("Items by what became of them at a vendor")
                .tag("destination", destination).tag("action", action)
                .tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                .register(registry).increment(count);
    }

    void eventsWithoutItems() {
        Counter.builder("bridge.delivery.events.unrouted").description("Events no route of the destination turned into a vendor call")
                .tag("destination", destination).register(registry).increment();
    }

    /** @param reason {@code integrations} (the event's flags keep it away) or {@code erased} (its person was erased) */
    void skipped(String reason) {
        Counter.builder("bridge.delivery.events.skipped").description("Events kept from the destination's routes")
                .tag("destination", destination).tag("reason", reason).register(registry).increment();
    }

    void parked() {
        Counter.builder("bridge.delivery.events.parked").description("Events set to wait for their person's primary key")
                .tag("destination", destination).register(registry).increment();
    }

    void batch(String action, int items, long bytes) {
        DistributionSummary.builder("bridge.delivery.batch.items").description("Items per vendor request")
                .tag("destination", destination).tag("action", action).register(registry).record(items);
        DistributionSummary.builder("bridge.delivery.batch.bytes").description("Body bytes per vendor request")
                .baseUnit("bytes").tag("destination", destination).tag("action", action).register(registry).record(bytes);
    }

    void vendorLatency(String action, int status, Duration latency) {
        Timer.builder("bridge.delivery.vendor.latency").description("Time from sending a request to the vendor's answer")
                .tag("destination", destination).tag("action", action).tag("status", status == 0 ? "none" : Integer.toString(status))
                .register(registry).record(latency);
    }

    void rateLimited(String action) {
        Counter.builder("bridge.delivery.rate.limited").description("429 answers received from the vendor")
                .tag("destination", destination).tag("action", action).register(registry).increment();
    }
}
