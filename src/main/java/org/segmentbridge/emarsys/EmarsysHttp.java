package org.segmentbridge.emarsys;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.delivery.VendorTransport;

/**
 * One Emarsys API call outside the delivery engine (name lookups, the engagement backfill's queries) through the
 * shared transport: authenticated afresh for the attempt, paced by the API user's limit, its envelope read. Secrets
 * never appear in what it fails with.
 */
final class EmarsysHttp {

    private static final ObjectMapper JSON = new ObjectMapper();

    private volatile VendorTransport transport;

    /** Set once the bridge has its transport; calls before that fail. */
    void use(VendorTransport transport) {
        this.transport = transport;
    }

    /**
     * The answer as sent: {@code envelope} is null when the body is not JSON (an export's CSV); {@code announcedWait}
     * is how long Emarsys asked to wait before the next call (its {@code X-Ratelimit-Reset}), when it said.
     */
    record Answer(int status, JsonNode envelope, String body, Optional<Duration> announcedWait) {

        /** A rate limit or a fault on Emarsys' side: worth asking again after {@link #announcedWait}. */
        boolean passing() {
            return status == 429 || status >= 500;
        }


        /** Emarsys' replyCode, or -1 when the body carries none. */
        int replyCode() {
            return envelope == null ? -1 : envelope.path("replyCode").asInt(-1);
        }

        boolean ok() {
            return status / 100 == 2 && replyCode() == 0;
        }

        String describe() {
            return "HTTP " + status + (envelope == null ? "" : ", replyCode " + replyCode() + " " + envelope.path("replyText").asText(""))
                    + (envelope == null ? ": " + abbreviate(body) : "");
        }
    }

    /**
     * The answer, whatever its status; fails with a {@link TemporaryFailure} when Emarsys could not be reached or did
     * not answer in time.
     *
     * @param purpose what the call is for, as the vendor metrics count it ({@code lookup}, {@code backfill})
     */
    CompletableFuture<Answer> exchange(String purpose, String method, String path, String body, DestinationSettings settings,
                                       EmarsysAuth auth) {
        VendorTransport through = transport;
        if (through == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("Emarsys cannot be asked " + method + " " + path
                    + " outside a running bridge"));
        }
        return AwaitingLookup.whenReady(auth::headers).thenCompose(authorization -> {
            Map<String, String> headers = new LinkedHashMap<>();
            if (body != null) {
                headers.put("Content-Type", "application/json");
            }
            headers.putAll(authorization);
            OutboundRequest request = new OutboundRequest(method, URI.create(EmarsysAuth.baseUrl(settings) + path), headers,
                    body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
            return through.call(purpose, request, settings, auth.credentialId());
        }).handle((answer, failure) -> {
            if (failure != null) {
                RuntimeException cause = AwaitingLookup.failureOf(failure);
                throw cause instanceof TemporaryFailure
                        ? new TemporaryFailure("Emarsys could not be asked " + method + " " + path + ": " + cause.getMessage(), cause)
                        : cause;
            }
            String text = answer.bodyText();
            return new Answer(answer.status(), parse(text), text, answer.announcedWait(Instant.now()));
        });
    }

    /**
     * The envelope of a successful call; fails with a {@link TemporaryFailure} on 429, 5xx or no answer, with an
     * {@link IllegalStateException} on any other failure.
     */
    CompletableFuture<JsonNode> send(String purpose, String method, String path, String body, DestinationSettings settings,
                                     EmarsysAuth auth) {
        return exchange(purpose, method, path, body, settings, auth).thenApply(answer -> {
            if (answer.passing()) {
                throw new TemporaryFailure("Emarsys answered " + method + " " + path + " with HTTP " + answer.status(), null);
            }
            if (answer.envelope() == null) {
                throw new TemporaryFailure("Emarsys answered " + method + " " + path + " with HTTP " + answer.status()
                        + " and a body that is not JSON", null);
            }
            if (!answer.ok()) {
                throw new IllegalStateException("Emarsys answered " + method + " " + path + " with HTTP " + answer.status()
                        + ": " + abbreviate(answer.body()));
            }
            return answer.envelope();
        });
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }
}
