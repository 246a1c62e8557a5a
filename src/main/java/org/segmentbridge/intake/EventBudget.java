package org.segmentbridge.intake;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The events the intake holds at once between parsing a request and storing it: past the budget a request is
 * refused with 503 and {@code Retry-After} before it costs a database transaction.
 */
final class EventBudget {

    private final long limit;
    private final AtomicLong inFlight = new AtomicLong();
    private final MeterRegistry meters;

    EventBudget(long limit, MeterRegistry meters) {
        this.limit = limit;
        this.meters = meters;
        if (limit == Long.MAX_VALUE) {
            return;
        }
        Gauge.builder("bridge.intake.in.flight.events", inFlight, AtomicLong::get)
                .description("Events of admitted intake requests not yet stored").register(meters);
    }

    /** For stores that no HTTP sender waits on (a scheduled backfill paces itself). */
    static EventBudget unlimited(MeterRegistry meters) {
        return new EventBudget(Long.MAX_VALUE, meters);
    }

    /** Room for one request's events, given back when it is stored or refused. */
    @FunctionalInterface
    interface Reservation extends AutoCloseable {
        @Override
        void close();
    }

    /** @throws IntakeOverloaded when the events would pass the budget */
    Reservation admit(int events) {
        if (!IntakeAdmission.reserve(inFlight, events, limit)) {
            IntakeAdmission.refused(meters, "events");
            throw new IntakeOverloaded("the bridge is at its budget of events in flight (" + limit
                    + ", setting bridge.intake.max-in-flight-events); nothing was kept, retry later",
                    IntakeAdmission.MEMORY_RETRY_AFTER_SECONDS);
        }
        return () -> inFlight.addAndGet(-events);
    }
}
