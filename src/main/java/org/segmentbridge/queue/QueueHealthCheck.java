package org.segmentbridge.queue;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** The bridge is not ready while its durable queue is down: it could not store what it accepts. */
public class QueueHealthCheck extends AbstractHealthCheck {

    private final EventLogs broker;

    public QueueHealthCheck(EventLogs broker) {
        super("bridge", "queue");
        this.broker = broker;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        java.util.Optional<String> unavailable = broker.unavailable();
        if (unavailable.isEmpty()) {
            for (String destination : broker.destinations()) {
                builder.detail("depth." + destination, broker.depth(destination));
            }
            builder.up();
        } else {
            builder.message(unavailable.get()).down();
        }
    }
}
