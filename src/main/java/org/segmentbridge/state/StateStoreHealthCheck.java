package org.segmentbridge.state;

import java.util.Map;
import java.util.Optional;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The state database cannot store. Not a readiness check: the intake needs only the intake log, so a load balancer
 * keeps sending while the processor waits for the database. Liveness: DOWN for long means a restart is due.
 *
 * <p>Each call writes a heartbeat row through the pool with a short timeout, and is DOWN when that fails, hangs, or a
 * fatal error hit the store meanwhile. UP again as soon as a write succeeds; the store reopens itself (see
 * {@link StateStore}).
 */
public class StateStoreHealthCheck extends AbstractHealthCheck {

    private final StateStore stateStore;

    public StateStoreHealthCheck(StateStore stateStore) {
        super("bridge", "state-store");
        this.stateStore = stateStore;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Optional<String> problem = stateStore.storageProblem();
        builder.detail("fatal.errors", stateStore.fatalErrors());
        builder.detail("recoveries", stateStore.recoveries());
        stateStore.lastFatal().ifPresent(failure -> {
            builder.detail("last.fatal.at", failure.at().toString());
            builder.detail("last.fatal", failure.description());
        });
        if (problem.isEmpty()) {
            builder.up();
        } else {
            builder.message(problem.get()).down();
        }
    }
}
