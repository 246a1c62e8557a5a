package org.segmentbridge.state;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** The bridge is not ready while its state database cannot answer. */
public class StateStoreHealthCheck extends AbstractHealthCheck {

    private final StateStore stateStore;

    public StateStoreHealthCheck(StateStore stateStore) {
        super("bridge", "state-store");
        this.stateStore = stateStore;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (stateStore.isHealthy()) {
            builder.up();
        } else {
            builder.message("the state database does not answer").down();
        }
    }
}
