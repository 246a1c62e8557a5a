package org.segmentbridge.console;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.segmentbridge.iterable.IterableFake;
import org.segmentbridge.support.RunningBridge;

/**
 * A bridge delivering live to a WireMock fake of Iterable ({@link IterableFake}, on the tests' own route: every track
 * to {@code events/track}), with the admin token set: what the console reads and acts on.
 */
final class ConsoleFixture implements AutoCloseable {

    static final String ADMIN_TOKEN = "console-admin-token-1f6e";
    static final String WRITE_KEY = IterableFake.WRITE_KEY;
    static final String ITERABLE_API_KEY = "console-iterable-api-key-9c2d";
    static final String TRACK = "/api/events/track";
    /** What the fake answers while it refuses: a failure Iterable does not ask to retry, so it is dead-lettered at once. */
    static final String REFUSAL_CODE = "BadParams";
    static final String REFUSAL_MESSAGE = "The project's event quota is used up";

    private final IterableFake fake = new IterableFake("file:src/test/resources/routes/tracks-to-iterable.yaml",
            Map.of("bridge.admin-token", ADMIN_TOKEN, "bridge.destination.iterable.api-key", ITERABLE_API_KEY));
    final WireMockServer iterable = fake.iterable;
    final RunningBridge bridge = fake.bridge;

    /** From now on the fake refuses every event with {@link #REFUSAL_CODE}. */
    void vendorRefuses() {
        iterable.resetAll();
        iterable.stubFor(post(urlEqualTo(TRACK)).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                .withBody("{\"msg\":\"" + REFUSAL_MESSAGE + "\",\"code\":\"" + REFUSAL_CODE + "\",\"params\":null}")));
    }

    /** From now on the fake takes every event (and forgets what it was sent before). */
    void vendorRecovers() {
        iterable.resetAll();
        iterable.stubFor(post(urlEqualTo(TRACK)).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
    }

    /** The requests the fake received that carry this messageId. */
    List<LoggedRequest> tracksCarrying(String messageId) {
        return iterable.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(urlEqualTo(TRACK))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"" + messageId + "\"")));
    }

    /** Sends events through the tracking API in one batch. */
    void send(String... events) {
        fake.send(events);
    }

    /** An admin GET with the token; asserts nothing about the answer. */
    HttpResponse<String> admin(String path) {
        return bridge.get(path, "Authorization", "Bearer " + ADMIN_TOKEN);
    }

    List<JsonNode> deadLetters(String messageId) {
        return bridge.deadLetters("iterable", messageId, ADMIN_TOKEN);
    }

    @Override
    public void close() {
        fake.close();
    }
}
