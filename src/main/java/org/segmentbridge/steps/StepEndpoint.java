package org.segmentbridge.steps;

import org.apache.camel.Component;
import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

/**
 * The endpoint of a route step such as {@code identity:require-key}, {@code crossing:...} or {@code consent:require}:
 * used with {@code to:}, it runs its processor on the exchange; used as a route's {@code from:}, it says it is a step.
 */
public final class StepEndpoint extends DefaultEndpoint {

    /** What the step does to the exchange; it may stop the route ({@code exchange.setRouteStop(true)}). */
    @FunctionalInterface
    public interface Step {
        void process(Exchange exchange) throws Exception;
    }

    private final String name;
    private final Step step;

    /** @param name how routes write the step, for the error when it is used as a route start */
    public StepEndpoint(String uri, Component component, String name, Step step) {
        super(uri, component);
        this.name = name;
        this.step = step;
    }

    @Override
    public Producer createProducer() {
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) throws Exception {
                step.process(exchange);
            }
        };
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException(name + " is a step (to:), not a route start");
    }
}
