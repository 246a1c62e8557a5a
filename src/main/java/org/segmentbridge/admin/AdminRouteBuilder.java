package org.segmentbridge.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.RouteDefinition;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.intake.IntakeRejected;

/**
 * What every operator endpoint under {@code /admin} shares: the bearer token ({@code BRIDGE_ADMIN_TOKEN}), JSON
 * answers, errors as {@code {"error": ...}} with their status, and the {@code limit} parameter.
 */
public abstract class AdminRouteBuilder extends RouteBuilder {

    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 1000;
    private static final int STORE_RETRY_AFTER_SECONDS = 5;

    private final Optional<byte[]> token;

    protected AdminRouteBuilder(Optional<String> token) {
        this.token = token.map(value -> value.getBytes(StandardCharsets.UTF_8));
    }

    protected static int limit(Message request) {
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

    /** The route of one operator endpoint: {@code method} requests to {@code path}, answered through {@link OperatorHeaders}. */
    protected RouteDefinition serve(String method, String path) {
        return from(OperatorHeaders.endpoint(getContext(), path, method));
    }

    /** A query parameter's value, trimmed; empty when it is missing or blank. */
    protected static Optional<String> parameter(Message request, String name) {
        String value = request.getHeader(name, String.class);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /** A userId or email as the identity store keeps them: too long a one is refused with 400, naming the field. */
    protected static Optional<String> identifier(String name, Optional<String> value) {
        if (value.isPresent() && value.get().length() > IdentityStore.MAX_IDENTIFIER_LENGTH) {
            throw new AdminError(400, name + " is " + value.get().length() + " characters long; the bridge keeps ids and emails of at most "
                    + IdentityStore.MAX_IDENTIFIER_LENGTH);
        }
        return value;
    }

    @FunctionalInterface
    protected interface Handler {
        JsonNode handle() throws Exception;
    }

    protected void answer(Exchange exchange, Handler handler) {
        answer(exchange, 200, handler);
    }

    /** @param success the status of a request that succeeded, e.g. 202 for one whose work goes on afterwards */
    protected void answer(Exchange exchange, int success, Handler handler) {
        Message message = exchange.getMessage();
        int status = success;
        JsonNode reply;
        try {
            authorize(message.getHeader("Authorization", String.class));
            reply = handler.handle();
        } catch (AdminError error) {
            status = error.status;
            reply = JSON.createObjectNode().put("error", error.getMessage());
        } catch (IntakeRejected rejected) {
            // An operator's request stored through the intake is held to the intake's rules.
            status = rejected.status();
            reply = JSON.createObjectNode().put("error", rejected.getMessage());
        } catch (Exception e) {
            // Input is checked above, so what is left is the state database or the queue failing: worth a retry. The
            // exception's message may quote SQL with a person's data; the log has it, the answer names only its kind.
            log.error("Admin request failed", e);
            status = 503;
            reply = JSON.createObjectNode().put("error", "the request could not be completed (" + e.getClass().getSimpleName()
                    + "); retry later");
        }
        message.removeHeaders("*");
        if (status == 503) {
            message.setHeader("Retry-After", STORE_RETRY_AFTER_SECONDS);
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        // Answers name people and carry their events: never kept by a browser or a proxy, never read as anything but JSON.
        message.setHeader("Cache-Control", "no-store");
        message.setHeader("X-Content-Type-Options", "nosniff");
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

    /** Answered with its status and message as {@code {"error": ...}}. */
    protected static final class AdminError extends RuntimeException {
        final int status;

        public AdminError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
