package org.segmentbridge.delivery;

import java.io.PrintStream;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.identity.AwaitingIdentity;
import org.segmentbridge.identity.IdentityStore;

/**
 * What {@code try} prints: every event run through every destination's routes as delivery would, with identity
 * resolution and waiting, then the exact requests each destination would send (batched as delivery batches them,
 * secrets masked). Nothing is sent and no queue is touched.
 */
public final class RequestPreview {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final DeliveryService delivery;
    private final EventRoutes routes;
    private final IdentityStore identity;

    /** What the intake does to an event before it is queued (consent and erasure marks); try has no intake. */
    @FunctionalInterface
    public interface IntakeScreen {
        void screen(ObjectNode event, Instant now) throws SQLException;
    }

    private final IntakeScreen intakeScreen;

    public RequestPreview(DeliveryService delivery, EventRoutes routes, IdentityStore identity, IntakeScreen intakeScreen) {
        this.intakeScreen = intakeScreen;
        this.delivery = delivery;
        this.routes = routes;
        this.identity = identity;
    }

    private record Waiting(String destination, String personId, int number, ObjectNode event) {
    }

    public void print(List<ObjectNode> events, PrintStream out) throws SQLException {
        Map<String, Connector> connectors = delivery.connectors();
        if (connectors.isEmpty()) {
            out.println("No destination has a connector yet: nothing would be sent.");
        }
        Map<String, List<DeliveryItem>> items = new LinkedHashMap<>();
        connectors.keySet().forEach(destination -> items.put(destination, new ArrayList<>()));
        List<Waiting> waiting = new ArrayList<>();
        for (int index = 0; index < events.size(); index++) {
            ObjectNode event = events.get(index);
            int number = index + 1;
            out.println("event " + number + ": " + describe(event));
            Set<String> newlyKeyed = identity.observeAll(List.of(event), Instant.now());
            intakeScreen.screen(event, Instant.now());
            for (String destination : connectors.keySet()) {
                run(destination, number, event, items, waiting, out, "");
            }
            for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
                Waiting held = it.next();
                if (newlyKeyed.contains(held.personId())) {
                    it.remove();
                    run(held.destination(), held.number(), held.event(), items, waiting, out, "released event " + held.number() + ": ");
                }
            }
        }
        waiting.forEach(held -> out.println("event " + held.number() + " is still waiting for its person's primary key at "
                + held.destination() + " (dead-lettered if none arrives within bridge.identity.pending.ttl)"));
        for (Map.Entry<String, List<DeliveryItem>> destination : items.entrySet()) {
            printRequests(destination.getKey(), connectors.get(destination.getKey()), destination.getValue(), out);
        }
    }

    private void run(String destination, int number, ObjectNode event, Map<String, List<DeliveryItem>> items,
                     List<Waiting> waiting, PrintStream out, String prefix) {
        if (routes.count(destination) == 0) {
            return;
        }
        Ticket ticket = new Ticket(destination, event, event.toString(), "", null, false);
        List<RouteFailure> failures;
        try {
            failures = routes.run(ticket, null);
        } catch (AwaitingIdentity awaiting) {
            IdentityStore.Person person = identity.findOrCreate(event.path("userId").asText(null), event.path("anonymousId").asText(null));
            waiting.add(new Waiting(destination, person.id(), number, event));
            out.println("  " + prefix + destination + ": waits for the person's primary key (" + awaiting.getMessage() + ")");
            return;
        }
        for (RouteFailure failure : failures) {
            out.println("  " + prefix + destination + ": would be dead-lettered: route " + failure.routeId() + ": " + failure.getMessage());
        }
        if (ticket.items().isEmpty()) {
            if (failures.isEmpty()) {
                out.println("  " + prefix + destination + ": no route sends this event");
            }
            return;
        }
        for (DeliveryItem item : ticket.items()) {
            out.println("  " + prefix + destination + ": " + item.action().name());
        }
        items.get(destination).addAll(ticket.items());
    }

    private void printRequests(String destination, Connector connector, List<DeliveryItem> items, PrintStream out) {
        DestinationSettings settings = delivery.settingsOf(destination);
        boolean credentials = connector.hasCredentials(settings);
        List<List<DeliveryItem>> requests = Batching.cut(items, settings);
        out.println();
        out.println("== " + destination + ": " + (items.isEmpty() ? 0 : requests.size()) + " request(s)"
                + (credentials ? "" : " (no credentials: this destination runs in dry-run)") + " ==");
        if (items.isEmpty()) {
            return;
        }
        for (List<DeliveryItem> batch : requests) {
            Action action = batch.get(0).action();
            // A tool may wait for the lookups a request needs (ids behind names, a token).
            OutboundRequest request = AwaitingLookup.waitingFor(() -> {
                OutboundRequest built = action.request(batch.get(0).item().group(), batch.stream().map(DeliveryItem::item).toList(), settings);
                return credentials ? connector.authorize(built, settings) : built;
            }, settings.requestTimeout());
            request = connector.masked(request);
            out.println();
            out.println(request.method() + " " + request.uri());
            request.headers().forEach((name, value) -> out.println(name + ": " + value));
            out.println();
            out.println("application/x-www-form-urlencoded".equals(request.headers().get("Content-Type"))
                    ? decodedForm(request.bodyText()) : pretty(request.bodyText()));
        }
    }

    private static String describe(JsonNode event) {
        StringBuilder text = new StringBuilder(event.path("type").asText());
        if (event.hasNonNull("event")) {
            text.append(" '").append(event.get("event").asText()).append('\'');
        }
        for (String id : new String[] {"userId", "anonymousId", "messageId"}) {
            if (event.hasNonNull(id)) {
                text.append(", ").append(id).append(' ').append(event.get(id).asText());
            }
        }
        return text.toString();
    }

    /** A form body as one parameter a line, decoded, JSON values pretty-printed: what a person can check. */
    private static String decodedForm(String body) {
        StringBuilder text = new StringBuilder();
        for (String pair : body.split("&")) {
            int equals = pair.indexOf('=');
            String name = java.net.URLDecoder.decode(pair.substring(0, equals), java.nio.charset.StandardCharsets.UTF_8);
            String value = java.net.URLDecoder.decode(pair.substring(equals + 1), java.nio.charset.StandardCharsets.UTF_8);
            text.append(name).append(" = ").append(value.startsWith("{") || value.startsWith("[") ? pretty(value) : value).append('\n');
        }
        return text.toString().stripTrailing();
    }

    private static String pretty(String body) {
        try {
            return JSON.writeValueAsString(JSON.readTree(body));
        } catch (java.io.IOException notJson) {
            return body;
        }
    }
}
