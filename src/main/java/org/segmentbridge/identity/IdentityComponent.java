package org.segmentbridge.identity;

import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultComponent;
import org.segmentbridge.steps.StepEndpoint;

/**
 * Route steps that give an event its person's primary key:
 * <ul>
 *   <li>{@code identity:resolve} sets the {@value #KEY_HEADER} header (and, when the event carries no key, writes it
 *       at the configured field, {@code context.traits.email} by default) if the key is known;</li>
 *   <li>{@code identity:require-key} does the same, and when no key is known yet stops the route: the event waits
 *       in the pending store and runs again, in order, once an event supplies the key.</li>
 * </ul>
 */
public final class IdentityComponent extends DefaultComponent {

    public static final String KEY_HEADER = "primaryKey";
    /** Set on an exchange whose event must wait for its person's key; read by the destination's delivery. */
    public static final String AWAITING_PROPERTY = "bridgeAwaitingIdentity";

    private final IdentityStore identity;
    private final String[] resolvedKeyField;

    /** @param resolvedKeyField dotted path where a resolved key is written into an event that lacks one */
    public IdentityComponent(IdentityStore identity, String resolvedKeyField) {
        this.identity = identity;
        this.resolvedKeyField = resolvedKeyField.split("\\.");
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        boolean require = switch (remaining) {
            case "require-key" -> true;
            case "resolve" -> false;
            default -> throw new IllegalArgumentException("identity:" + remaining + " is not an identity step; use identity:resolve or identity:require-key");
        };
        if (!parameters.isEmpty()) {
            throw new IllegalArgumentException("identity:" + remaining + " takes no parameters, got " + parameters.keySet());
        }
        return new StepEndpoint(uri, this, "identity:" + remaining, exchange -> resolve(exchange, require));
    }

    private void resolve(Exchange exchange, boolean require) throws Exception {
        JsonNode event = exchange.getMessage().getMandatoryBody(JsonNode.class);
        Optional<String> own = identity.keyIn(event);
        Optional<String> key = own.isPresent() ? own
                : identity.find(event.path("userId").asText(null), event.path("anonymousId").asText(null))
                        .flatMap(IdentityStore.Person::primaryKey);
        if (key.isEmpty()) {
            if (require) {
                exchange.setProperty(AWAITING_PROPERTY, "no primary key is known yet for userId " + event.path("userId").asText("(none)")
                        + " / anonymousId " + event.path("anonymousId").asText("(none)"));
                exchange.setRouteStop(true);
            }
            return;
        }
        exchange.getMessage().setHeader(KEY_HEADER, key.get());
        if (own.isEmpty() && event instanceof ObjectNode shared) {
            // The body is the event every route of the destination reads: the key goes into this route's own copy.
            ObjectNode object = shared.deepCopy();
            ObjectNode parent = object;
            for (int i = 0; i < resolvedKeyField.length - 1; i++) {
                JsonNode child = parent.get(resolvedKeyField[i]);
                parent = child instanceof ObjectNode childObject ? childObject : parent.putObject(resolvedKeyField[i]);
            }
            parent.put(resolvedKeyField[resolvedKeyField.length - 1], key.get());
            exchange.getMessage().setBody(object);
        }
    }
}
