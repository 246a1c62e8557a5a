package org.segmentbridge.intake;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counters the intake publishes: events appended to the intake log per endpoint, requests rejected per
 * reason, requests the store failed, and requests acknowledged without any event per kind.
 */
final class IntakeMetrics {

    private final MeterRegistry registry;

    IntakeMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * An endpoint is served: its counters of accepted events and store failures exist from the start at zero, so
     * that rates and an alert's {@code increase()} see their first increments.
     */
    void served(String endpoint) {
        accepted(endpoint);
        storeFailures(endpoint);
    }

    void accepted(String endpoint, int events) {
        accepted(endpoint).increment(events);
    }

    private Counter accepted(String endpoint) {
        return Counter.builder("bridge.intake.events.accepted").description("Events appended durably to the intake log (duplicates too: the processor drops them)")
                .tag("endpoint", endpoint).register(registry);
    }

    void ignored(String endpoint, String kind) {
        Counter.builder("bridge.intake.requests.ignored").description("Requests acknowledged but turned into no event, by kind")
                .tag("endpoint", endpoint).tag("kind", kind).register(registry).increment();
    }

    void storeFailed(String endpoint) {
        storeFailures(endpoint).increment();
    }

    private Counter storeFailures(String endpoint) {
        return Counter.builder("bridge.intake.requests.store.failed")
                .description("Requests answered 503 because the state database or the queue could not store them")
                .tag("endpoint", endpoint).register(registry);
    }

    void rejected(String endpoint, IntakeRejected.Reason reason) {
        Counter.builder("bridge.intake.requests.rejected").description("Requests refused whole, by reason")
                .tag("endpoint", endpoint).tag("reason", reason.label()).register(registry).increment();
    }
}
