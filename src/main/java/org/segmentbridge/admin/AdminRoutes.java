package org.segmentbridge.admin;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Message;
import org.segmentbridge.deadletters.DeadLetters;
import org.segmentbridge.delivery.DeliveryService;
import org.segmentbridge.delivery.DryRunRecorder;

/**
 * Operator endpoints under {@code /admin}, behind {@code Authorization: Bearer <BRIDGE_ADMIN_TOKEN>}: dead letters
 * (list and filter by destination, action and reason; read one; replay one; replay all that a filter selects; discard)
 * and the requests recorded in dry-run.
 */
public class AdminRoutes extends AdminRouteBuilder {

    private final DeliveryService delivery;

    public AdminRoutes(Optional<String> token, DeliveryService delivery) {
        super(token);
        this.delivery = delivery;
    }

    @Override
    public void configure() {
        serve("GET", "/admin/dead-letters").routeId("admin-dead-letters-list")
                .process(exchange -> answer(exchange, () -> listDeadLetters(exchange.getMessage())));
        serve("POST", "/admin/dead-letters/replay").routeId("admin-dead-letters-replay-all")
                .process(exchange -> answer(exchange, () -> JSON.createObjectNode()
                        .put("replayed", replayable(() -> delivery.replayAll(filter(exchange.getMessage()))))));
        serve("GET", "/admin/dead-letters/{id}").routeId("admin-dead-letters-read")
                .process(exchange -> answer(exchange, () -> describe(find(exchange.getMessage().getHeader("id", String.class)))));
        serve("POST", "/admin/dead-letters/{id}/replay").routeId("admin-dead-letters-replay")
                .process(exchange -> answer(exchange, () -> {
                    DeadLetters.DeadLetter letter = find(exchange.getMessage().getHeader("id", String.class));
                    replayable(() -> {
                        delivery.replay(letter);
                        return 1;
                    });
                    return JSON.createObjectNode().put("replayed", 1).put("id", letter.id());
                }));
        serve("DELETE", "/admin/dead-letters/{id}").routeId("admin-dead-letters-discard")
                .process(exchange -> answer(exchange, () -> {
                    DeadLetters.DeadLetter letter = find(exchange.getMessage().getHeader("id", String.class));
                    delivery.deadLetters().remove(letter.id());
                    return JSON.createObjectNode().put("discarded", 1).put("id", letter.id());
                }));
        serve("GET", "/admin/dry-run").routeId("admin-dry-run")
                .process(exchange -> answer(exchange, () -> listDryRun(exchange.getMessage())));
    }

    private JsonNode listDeadLetters(Message request) throws Exception {
        ArrayNode letters = JSON.createArrayNode();
        for (DeadLetters.DeadLetter letter : delivery.deadLetters().list(filter(request), limit(request))) {
            letters.add(describe(letter));
        }
        ObjectNode reply = JSON.createObjectNode();
        reply.put("count", letters.size());
        reply.set("deadLetters", letters);
        return reply;
    }

    /** The {@code destination}, {@code action} and {@code reason} parameters; an empty one selects everything. */
    private static DeadLetters.Filter filter(Message request) {
        return new DeadLetters.Filter(parameter(request, "destination").orElse(null), parameter(request, "action").orElse(null),
                parameter(request, "reason").orElse(null));
    }

    private static ObjectNode describe(DeadLetters.DeadLetter letter) throws java.io.IOException {
        ObjectNode node = JSON.createObjectNode()
                .put("id", letter.id())
                .put("destination", letter.destination())
                .put("action", letter.action())
                .put("messageId", letter.messageId())
                .put("attempts", letter.attempts())
                .put("status", letter.status())
                .put("code", letter.code())
                .put("reason", letter.reason())
                .put("createdAt", letter.createdAt().toString());
        node.set("event", JSON.readTree(letter.event()));
        node.set("item", letter.item() == null ? null : JSON.readTree(letter.item()));
        return node;
    }

    private JsonNode listDryRun(Message request) {
        ArrayNode requests = JSON.createArrayNode();
        for (DryRunRecorder.Recorded recorded : delivery.dryRun().recent(request.getHeader("destination", String.class), limit(request))) {
            ObjectNode node = requests.addObject()
                    .put("at", recorded.at().toString())
                    .put("destination", recorded.destination())
                    .put("action", recorded.action())
                    .put("items", recorded.items())
                    .put("method", recorded.request().method())
                    .put("url", recorded.request().uri().toString());
            ObjectNode headers = node.putObject("headers");
            recorded.request().headers().forEach(headers::put);
            node.set("body", bodyOf(recorded.request().bodyText()));
        }
        ObjectNode reply = JSON.createObjectNode();
        reply.put("count", requests.size());
        reply.set("requests", requests);
        return reply;
    }

    private static JsonNode bodyOf(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException notJson) {
            return JSON.getNodeFactory().textNode(text);
        }
    }

    private DeadLetters.DeadLetter find(String id) {
        return delivery.deadLetters().find(id).orElseThrow(() -> new AdminError(404, "no dead letter with id " + id));
    }


    /** A dead letter for a destination that is no longer configured stays, and the answer says why: 409. */
    private static int replayable(java.util.function.IntSupplier replay) {
        try {
            return replay.getAsInt();
        } catch (IllegalArgumentException noSuchDestination) {
            throw new AdminError(409, noSuchDestination.getMessage());
        }
    }
}
