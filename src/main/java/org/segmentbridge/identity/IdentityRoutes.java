package org.segmentbridge.identity;

import java.time.Instant;

import org.apache.camel.builder.RouteBuilder;

/** The pending store's upkeep: dead-letter what waited too long, and release what a missed release left behind. */
public class IdentityRoutes extends RouteBuilder {

    private final PendingEvents pendingEvents;
    private final java.time.Duration every;

    public IdentityRoutes(PendingEvents pendingEvents, java.time.Duration every) {
        this.pendingEvents = pendingEvents;
        this.every = every;
    }

    @Override
    public void configure() {
        from("timer:pending-events-upkeep?period=" + every.toMillis() + "&delay=" + every.toMillis())
                .routeId("identity-pending-upkeep")
                .process(exchange -> {
                    pendingEvents.expire(Instant.now());
                    pendingEvents.releaseKeyed();
                });
    }
}
