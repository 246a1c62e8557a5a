package org.segmentbridge.sailthru;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.Actions;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.Lookups;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.VendorTransport;

/** Sailthru: users (vars, lists, opt-out), custom events, purchases and deletes, each call signed with the API secret. */
public final class SailthruConnector implements Connector {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Actions actions = new Actions("Sailthru",
            new UserUpdate(), new Audience(), new Optout(), new CustomEvent(),
            new Purchase(this), new IncompletePurchase(this), new UserDelete());
    private final Lookups lookups = new Lookups();
    /**
     * Emails GET /user found, kept only until the request that asked is built: an email is personal data and is
     * not cached.
     */
    private final Map<String, String> found = new ConcurrentHashMap<>();
    private volatile VendorTransport transport;

    @Override
    public Actions actions() {
        return actions;
    }

    @Override
    public void useTransport(VendorTransport transport) {
        this.transport = transport;
    }

    @Override
    public boolean hasCredentials(DestinationSettings settings) {
        return settings.value("api-key").isPresent() && settings.value("api-secret").isPresent();
    }

    @Override
    public String credentialId(DestinationSettings settings) {
        return "sailthru:" + settings.value("api-key").orElse("none");
    }

    @Override
    public OutboundRequest authorize(OutboundRequest request, DestinationSettings settings) {
        return SailthruRequests.sign(request, settings.requiredValue("api-key"), settings.requiredValue("api-secret"));
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of();
    }

    /** The api_key travels as a parameter: it is masked there. */
    @Override
    public OutboundRequest masked(OutboundRequest request) {
        Map<String, String> params = SailthruRequests.params(request);
        if (!params.containsKey("api_key")) {
            return request;
        }
        String shown = request.method().equals("POST") ? request.bodyText() : request.uri().toString();
        String masked = shown.replaceFirst("api_key=[^&]*", "api_key=***");
        return request.method().equals("POST")
                ? new OutboundRequest(request.method(), request.uri(), request.headers(), masked.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                : request.withUri(java.net.URI.create(masked));
    }

    /** The person's email: the resolved primary key, else the event's own. */
    static Optional<String> email(Action.Input input) {
        if (input.primaryKey() != null) {
            return Optional.of(input.primaryKey());
        }
        for (JsonNode candidate : new JsonNode[] {input.event().path("traits").path("email"),
                input.event().path("context").path("traits").path("email")}) {
            if (candidate.isTextual() && !candidate.asText().isBlank()) {
                return Optional.of(candidate.asText().trim());
            }
        }
        return Optional.empty();
    }

    static String requireEmail(Action.Input input, String action) {
        return email(input).orElseThrow(() -> new ActionException("sailthru " + action
                + " needs the person's email, and neither the event nor the identity store has one: put identity:require-key "
                + "before it to wait for the email"));
    }

    /** Sailthru vars are flat: nested objects and arrays become keys joined with '_' (arrays by index). */
    static ObjectNode flatten(JsonNode value) {
        ObjectNode flat = JSON.createObjectNode();
        flattenInto(flat, "", value);
        return flat;
    }

    private static void flattenInto(ObjectNode flat, String prefix, JsonNode value) {
        if (value.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                flattenInto(flat, prefix.isEmpty() ? field.getKey() : prefix + "_" + field.getKey(), field.getValue());
            }
        } else if (value.isArray()) {
            for (int index = 0; index < value.size(); index++) {
                flattenInto(flat, prefix + "_" + index, value.get(index));
            }
        } else if (!value.isNull() && !prefix.isEmpty()) {
            flat.set(prefix, value);
        }
    }

    /**
     * GET /user by extid, for the email of a person the identity store does not know.
     *
     * @throws AwaitingLookup while Sailthru is being asked; asked again once it answered, the email is here
     */
    String emailOfUser(String userId, DestinationSettings settings) {
        String email = found.remove(userId);
        if (email != null) {
            return email;
        }
        throw lookups.awaiting("Sailthru's email of extid " + userId + " (GET /user)", () -> {
            ObjectNode query = JSON.createObjectNode().put("id", userId).put("key", "extid");
            query.putObject("fields").put("keys", 1);
            OutboundRequest lookup = authorize(SailthruRequests.build("GET", "/user", query.toString(), settings), settings);
            return transport.call("lookup", lookup, settings, credentialId(settings)).handle((answer, failure) -> {
                if (failure != null) {
                    throw new TemporaryFailure("Sailthru could not be asked GET /user: " + AwaitingLookup.failureOf(failure).getMessage(), failure);
                }
                found.put(userId, emailIn(answer, userId));
                return null;
            });
        });
    }

    private static String emailIn(VendorAnswer answer, String userId) {
        if (answer.status() == 429 || answer.status() >= 500) {
            throw new TemporaryFailure("Sailthru answered GET /user with HTTP " + answer.status(), null);
        }
        String email;
        try {
            email = JSON.readTree(answer.body()).path("keys").path("email").asText("");
        } catch (IOException e) {
            throw new TemporaryFailure("Sailthru answered GET /user with HTTP " + answer.status() + " and a body that is not JSON", e);
        }
        if (email.isEmpty()) {
            throw new IllegalArgumentException("Sailthru knows no email for extid " + userId + " (GET /user)");
        }
        return email;
    }
}
