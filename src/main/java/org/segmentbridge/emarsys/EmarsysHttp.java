package org.segmentbridge.emarsys;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.TemporaryFailure;

/**
 * One Emarsys API call outside the delivery engine (name lookups, the engagement backfill's queries): authenticated
 * afresh for the attempt, its envelope read. Secrets never appear in what it throws.
 */
final class EmarsysHttp {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;

    EmarsysHttp(HttpClient http) {
        this.http = http;
    }

    /** The answer as sent: {@code envelope} is null when the body is not JSON. */
    record Answer(int status, JsonNode envelope, String body) {

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

    /** @throws TemporaryFailure when Emarsys could not be reached or did not answer in time */
    Answer exchange(String method, String path, String body, DestinationSettings settings, EmarsysAuth auth) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(settings.baseUrl() + path))
                .timeout(settings.requestTimeout())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        auth.headers().forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), parse(response.body()), response.body());
        } catch (IOException e) {
            throw new TemporaryFailure("Emarsys could not be asked " + method + " " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking Emarsys " + method + " " + path, e);
        }
    }

    /**
     * The envelope of a successful call.
     *
     * @throws TemporaryFailure on 429, 5xx or no answer; {@link IllegalStateException} on any other failure
     */
    JsonNode send(String method, String path, String body, DestinationSettings settings, EmarsysAuth auth) {
        Answer answer = exchange(method, path, body, settings, auth);
        if (answer.status() == 429 || answer.status() >= 500) {
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
