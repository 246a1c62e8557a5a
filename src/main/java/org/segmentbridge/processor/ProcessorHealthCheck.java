package org.segmentbridge.processor;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * DOWN while the processor waits for the state database or the broker, naming why and since when. Neither readiness
 * nor liveness: the intake keeps accepting meanwhile (a load balancer should keep sending), and the processor
 * resumes by itself when the database is back (a restart would not bring it back sooner).
 */
public class ProcessorHealthCheck extends AbstractHealthCheck {

    private final Processor processor;

    public ProcessorHealthCheck(Processor processor) {
        super("bridge", "processor");
        this.processor = processor;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        processor.stalled().ifPresentOrElse(why -> builder.message(why).down(), builder::up);
    }
}
