package org.segmentbridge.delivery;

import java.util.Map;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.MultipleConsumersSupport;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.Route;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code from: events:<destination>}: a route that receives every event queued for that destination. Each use-case
 * route of a destination starts this way; the destination's delivery hands each event to all of them, in the order
 * the routes declare with {@code ?order=<n>} (see {@link EventRoutes}).
 */
public final class EventsComponent extends DefaultComponent {

    private final EventRoutes routes;
    private final java.util.List<String> destinations;

    public EventsComponent(EventRoutes routes, java.util.List<String> destinations) {
        this.routes = routes;
        this.destinations = destinations;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!destinations.contains(remaining)) {
            throw new IllegalArgumentException("events:" + remaining + " names no destination; the destinations are "
                    + destinations + " (setting bridge.destinations)");
        }
        Integer order = getAndRemoveParameter(parameters, "order", Integer.class);
        if (!parameters.isEmpty()) {
            throw new IllegalArgumentException("events:" + remaining + " takes only the parameter order, got " + parameters.keySet());
        }
        return new EventsEndpoint(uri, this, remaining, order);
    }

    final class EventsEndpoint extends DefaultEndpoint implements MultipleConsumersSupport {

        private final String destination;
        /** The route's turn among the destination's routes on each event; null: after those with one. */
        private final Integer order;

        EventsEndpoint(String uri, EventsComponent component, String destination, Integer order) {
            super(uri, component);
            this.destination = destination;
            this.order = order;
        }

        /** Every use-case route of a destination starts from the same events:<destination>. */
        @Override
        public boolean isMultipleConsumersSupported() {
            return true;
        }

        @Override
        public Producer createProducer() {
            throw new UnsupportedOperationException("events:" + destination + " can only start a route (from:), not be sent to");
        }

        @Override
        public Consumer createConsumer(Processor processor) throws Exception {
            DefaultConsumer consumer = new DefaultConsumer(this, processor) {
                // Camel hands the consumer its route as soon as the route is built, started or not (check builds
                // routes without starting them): the moment it takes its turn among the destination's routes.
                @Override
                public void setRoute(Route route) {
                    super.setRoute(route);
                    routes.declare(destination, new EventRoutes.Entrance(this, order));
                }

                @Override
                protected void doStart() throws Exception {
                    super.doStart();
                    routes.register(destination, new EventRoutes.Entrance(this, order));
                }

                @Override
                protected void doStop() throws Exception {
                    routes.unregister(destination, this);
                    super.doStop();
                }
            };
            configureConsumer(consumer);
            return consumer;
        }
    }
}
