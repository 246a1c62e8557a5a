package org.segmentbridge.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.segmentbridge.deadletters.DeadLetters;
import org.segmentbridge.delivery.DeliveryService;
import org.segmentbridge.delivery.DryRunRecorder;

/**
 * Operator endpoints under {@code /admin}, behind {@code Authorization: Bearer <BRIDGE_ADMIN_TOKEN>}: dead letters
 * (list, replay one, replay all or one destination's, discard) and the requests recorded in dry-run.
 */
public class AdminRoutes extends RouteBuilder {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;

    private final Optional<byte[]> token;
    private final DeliveryService delivery;

    public AdminRoutes(Optional<String> token, DeliveryService delivery) {
        this.token = token.map(value -> value.getBytes(StandardCharsets.UTF_8));
        this.delivery = delivery;
    }

    @Override
    public void configure() {
        from("platform-http:/admin/dead-letters?httpMethodRestrict=GET").routeId("admin-dead-letters-list")
                .process(exchange -> answer(exchange, () -> listDeadLetters(exchange.getMessage())));
        from("platform-http:/admin/dead-letters/replay?httpMethodRestrict=POST").routeId("admin-dead-letters-replay-all")
                .process(exchange -> answer(exchange, () -> JSON.createObjectNode()
                        .put("replayed", delivery.replayAll(exchange.getMessage().getHeader("destination", String.class)))));
        from("platform-http:/admin/dead-letters/{id}/replay?httpMethodRestrict=POST").routeId("admin-dead-letters-replay")
                .process(exchange -> answer(exchange, () -> {
                    DeadLetters.DeadLetter letter = find(exchange.getMessage().getHeader("id", String.class));
                    delivery.replay(letter);
                    return JSON.createObjectNode().put("replayed", 1).put("id", letter.id());
                }));
        from("platform-http:/admin/dead-letters/{id}?httpMethodRestrict=DELETE").routeId("admin-dead-letters-discard")
                .process(exchange -> answer(exchange, () -> {
                    DeadLetters.DeadLetter letter = find(exchange.getMessage().getHeader("id", String.class));
                    delivery.deadLetters().remove(letter.id());
                    return JSON.createObjectNode().put("discarded", 1).put("id", letter.id());
                }));
        from("platform-http:/admin/dry-run?httpMethodRestrict=GET").routeId("admin-dry-run")
                .process(exchange -> answer(exchange, () -> listDryRun(exchange.getMessage())));
    }

    private JsonNode listDeadLetters(Message request) throws Exception {
        ArrayNode letters = JSON.createArrayNode();
        for (DeadLetters.DeadLetter letter : delivery.deadLetters().list(request.getHeader("destination", String.class), limit(request))) {
            ObjectNode node = letters.addObject()
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
        }
        ObjectNode reply = JSON.createObjectNode();
        reply.put("count", letters.size());
        reply.set("deadLetters", letters);
        return reply;
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

    private static int limit(Message request) {
        String value = request.getHeader("limit", String.class);
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit > 0 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new AdminError(400, "limit must be a whole number from 1 to " + MAX_LIMIT + ", got '" + value + "'");
    }

    @FunctionalInterface
    private interface Handler {
        JsonNode handle() throws Exception;
    }

    private void answer(Exchange exchange, Handler handler) {
        Message message = exchange.getMessage();
        int status = 200;
        JsonNode reply;
        try {
            authorize(message.getHeader("Authorization", String.class));
            reply = handler.handle();
        } catch (AdminError error) {
            status = error.status;
            reply = JSON.createObjectNode().put("error", error.getMessage());
        } catch (Exception e) {
            log.error("Admin request failed", e);
            status = 500;
            reply = JSON.createObjectNode().put("error", "the request failed: " + e.getMessage());
        }
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(reply.toString());
    }

    private void authorize(String authorization) {
        if (token.isEmpty()) {
            throw new AdminError(401, "the admin endpoints are disabled: no admin token is configured (set BRIDGE_ADMIN_TOKEN)");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new AdminError(401, "missing admin token: send Authorization: Bearer <BRIDGE_ADMIN_TOKEN>");
        }
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(token.get(), presented)) {
            throw new AdminError(401, "invalid admin token");
        }
    }

    private static final class AdminError extends RuntimeException {
        final int status;

        AdminError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
