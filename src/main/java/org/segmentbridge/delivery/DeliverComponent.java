package org.segmentbridge.delivery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;
import org.segmentbridge.observe.LogContext;
import org.segmentbridge.identity.IdentityComponent;
import org.segmentbridge.mapping.Mapping;
import org.segmentbridge.mapping.Mappings;

/**
 * {@code to: deliver:<destination>:<action>?name=value}: prepares the current event (the exchange body, JSON) for a
 * vendor action with the given parameters; {@code mapping=<name>} first turns the event into vendor fields with
 * {@code mappings/<name>.yaml}. The request itself is batched, paced and sent by the destination's
 * delivery; the route only says what to send.
 */
public final class DeliverComponent extends DefaultComponent {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        int colon = remaining.indexOf(':');
        if (colon <= 0 || colon == remaining.length() - 1) {
            throw new IllegalArgumentException("deliver:" + remaining + " must name a destination and an action: deliver:<destination>:<action>");
        }
        String destination = remaining.substring(0, colon);
        String actionName = remaining.substring(colon + 1);
        Connector connector = getCamelContext().getRegistry().lookupByNameAndType(destination, Connector.class);
        if (connector == null) {
            throw new IllegalArgumentException("deliver:" + remaining + ": no connector serves destination '" + destination + "'");
        }
        Action action = connector.action(actionName);
        Map<String, String> actionParameters = new LinkedHashMap<>();
        parameters.forEach((name, value) -> actionParameters.put(name, String.valueOf(value)));
        parameters.clear();
        Mapping mapping = null;
        String mappingName = actionParameters.remove("mapping");
        if (mappingName != null) {
            Mappings mappings = getCamelContext().getRegistry().lookupByNameAndType("mappings", Mappings.class);
            if (mappings == null || !mappings.has(mappingName)) {
                throw new IllegalArgumentException("deliver:" + remaining + "?mapping=" + mappingName + ": no mapping '" + mappingName
                        + "' in the mappings folder; the mappings are " + (mappings == null ? "[]" : mappings.names()));
            }
            mapping = mappings.get(mappingName);
        }
        RouteWarnings warnings = getCamelContext().getRegistry().lookupByNameAndType(RouteWarnings.BEAN, RouteWarnings.class);
        String routeId = getCamelContext().getCamelContextExtension().getCreateRoute();
        try {
            ActionParameters.check(action, actionParameters);
        } catch (MissingParameter missing) {
            // Refused when the destination sends; while it sends nothing, a warning keeps the quick start running.
            DeliveryService delivery = getCamelContext().getRegistry().lookupByNameAndType("deliveryService", DeliveryService.class);
            Optional<String> idle = delivery == null || warnings == null ? Optional.empty() : delivery.idleBecause(destination);
            String problem = "deliver:" + remaining + ": " + missing.getMessage();
            if (idle.isEmpty()) {
                throw new MissingParameter(problem);
            }
            warnings.step(routeId, problem + RouteWarnings.onlyWhile(idle.get()));
        } catch (IllegalArgumentException e) {
            // An unknown or ill-typed parameter is a mistake in the route file whatever the destination does.
            String where = warnings == null ? "" : warnings.where(routeId);
            throw new IllegalArgumentException((where.isEmpty() ? "" : where + ": ") + "deliver:" + remaining + ": " + e.getMessage());
        }
        return new DeliverEndpoint(uri, this, destination, action, mapping, Map.copyOf(actionParameters));
    }

    static final class DeliverEndpoint extends DefaultEndpoint {

        private final String destination;
        private final Action action;
        private final Mapping mapping;
        private final Map<String, String> actionParameters;

        DeliverEndpoint(String uri, DeliverComponent component, String destination, Action action, Mapping mapping,
                        Map<String, String> parameters) {
            super(uri, component);
            this.destination = destination;
            this.action = action;
            this.mapping = mapping;
            this.actionParameters = parameters;
        }

        @Override
        public boolean isLenientProperties() {
            return true;
        }

        @Override
        public Consumer createConsumer(Processor processor) {
            throw new UnsupportedOperationException("deliver:" + destination + ":" + action.name() + " can only be sent to (to:)");
        }

        @Override
        public Producer createProducer() {
            return new DefaultProducer(this) {
                @Override
                public void process(Exchange exchange) throws Exception {
                    Ticket ticket = exchange.getProperty(Ticket.EXCHANGE_PROPERTY, Ticket.class);
                    if (ticket == null) {
                        throw new IllegalStateException("deliver:" + destination + ":" + action.name()
                                + " is called outside a destination route; start the route with from: events:" + destination);
                    }
                    if (!ticket.destination().equals(destination)) {
                        throw new IllegalStateException("a route of destination " + ticket.destination() + " calls deliver:"
                                + destination + ":" + action.name() + "; each destination's routes deliver to it alone");
                    }
                    JsonNode event = exchange.getMessage().getMandatoryBody(JsonNode.class);
                    ObjectNode fields = mapping == null ? JSON.createObjectNode() : mapping.apply(event);
                    String primaryKey = exchange.getMessage().getHeader(IdentityComponent.KEY_HEADER, String.class);
                    DestinationSettings settings = getCamelContext().getRegistry()
                            .lookupByNameAndType("deliveryService", DeliveryService.class).settingsOf(destination);
                    try (LogContext ignored = LogContext.with(LogContext.ACTION, action.name())) {
                        List<Action.Item> items = action.prepare(new Action.Input(event, fields, actionParameters, primaryKey, settings));
                        ticket.add(exchange.getFromRouteId(), action, items);
                    }
                }
            };
        }
    }
}
