package org.segmentbridge.queue;

import java.util.Map;
import java.util.Optional;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Not ready while the queue takes no more events (the disk reserve or the backlog bound is reached), with the reason.
 * A readiness check only: the process is alive and draining, and restarting it would free nothing.
 */
public class QueueCapacityHealthCheck extends AbstractHealthCheck {

    private final QueueCapacity capacity;

    public QueueCapacityHealthCheck(QueueCapacity capacity) {
        super("bridge", "queue-capacity");
        this.capacity = capacity;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("disk.free.bytes", capacity.freeBytes());
        Optional<QueueCapacity.Full> full = capacity.full();
        if (full.isPresent()) {
            builder.detail("refusing", full.get().reason()).message(full.get().message()).down();
        } else {
            builder.up();
        }
    }
}
