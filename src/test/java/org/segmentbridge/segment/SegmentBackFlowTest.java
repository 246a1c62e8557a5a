package org.segmentbridge.segment;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.Signed;

/** Engagement reported by a vendor reaches Segment's HTTP API; what came from Segment is never sent back to it. */
class SegmentBackFlowTest {

    private static final String SEGMENT_WRITE_KEY = "segment-back-flow-key";
    private static final String SAILTHRU_KEY = "st-key";
    private static final String SAILTHRU_SECRET = "st-secret";
    private static final String INTAKE_KEY = "intake-key";

    private static final WireMockServer segment = new WireMockServer(options().dynamicPort());
    private static RunningBridge bridge;

    @BeforeAll
    static void start() {
        segment.start();
        bridge = RunningBridge.start(Map.of(
                "bridge.destinations", "segment",
                "bridge.write-keys", INTAKE_KEY,
                "camel.main.routesIncludePattern", "file:routes/segment/*.yaml",
                "bridge.destination.segment.base-url", segment.baseUrl(),
                "bridge.destination.segment.write-key", SEGMENT_WRITE_KEY,
                "bridge.destination.segment.batch.flush", "300ms",
                "bridge.destination.segment.retry.initial-delay", "200ms",
                "bridge.destination.sailthru.api-key", SAILTHRU_KEY,
                "bridge.destination.sailthru.api-secret", SAILTHRU_SECRET));
    }

    @AfterAll
    static void stop() {
        bridge.close();
        segment.stop();
    }

    @BeforeEach
    void segmentAcceptsEverything() {
        segment.resetAll();
        segment.stubFor(post(urlEqualTo("/v1/batch")).atPriority(10).willReturn(okJson("{\"success\":true}")));
    }

    private static void postback(Map<String, String> params) {
        var response = bridge.post("/webhooks/sailthru", Signed.sailthruPostback(params, SAILTHRU_KEY, SAILTHRU_SECRET),
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static List<JsonNode> sentEventsFor(String email) {
        return sentEvents().stream().filter(event -> email.equals(event.path("context").path("traits").path("email").asText())).toList();
    }

    private static List<JsonNode> sentEvents() {
        List<JsonNode> events = new ArrayList<>();
        for (LoggedRequest request : segment.findAll(postRequestedFor(urlEqualTo("/v1/batch")))) {
            json(request.getBodyAsString()).path("batch").forEach(events::add);
        }
        return events;
    }

    @Test
    void aSailthruOptOutReachesSegmentAsIdentifyAndTrackWithWriteKeyAuth() throws Exception {
        postback(Map.of("action", "optout", "email", "out@example.com", "optout", "1", "mode", "all"));

        await().atMost(Duration.ofSeconds(15)).until(() -> sentEventsFor("out@example.com").size() == 2);
        LoggedRequest request = segment.findAll(postRequestedFor(urlEqualTo("/v1/batch"))).stream()
                .filter(r -> r.getBodyAsString().contains("out@example.com")).findFirst().orElseThrow();
        assertThat(request.getHeader("Authorization")).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString((SEGMENT_WRITE_KEY + ":").getBytes(StandardCharsets.UTF_8)));
        JsonNode body = json(request.getBodyAsString());
        assertThat(body.path("sentAt").asText()).isNotEmpty();
        JsonNode identify = sentEventsFor("out@example.com").stream().filter(e -> e.path("type").asText().equals("identify")).findFirst().orElseThrow();
        JsonNode track = sentEventsFor("out@example.com").stream().filter(e -> e.path("type").asText().equals("track")).findFirst().orElseThrow();
        assertThat(identify.path("traits").path("unsubscribed").asBoolean()).isTrue();
        assertThat(track.path("event").asText()).isEqualTo("Unsubscribed");
        for (JsonNode event : List.of(identify, track)) {
            assertThat(event.path("messageId").asText()).startsWith("sailthru-");
            assertThat(event.path("context").path("integration").path("name").asText()).isEqualTo("sailthru");
            assertThat(event.path("integrations").path("Sailthru").asBoolean(true)).isFalse();
            assertThat(event.has("receivedAt")).as("Segment stamps its own").isFalse();
            assertThat(event.path("context").has("bridge")).isFalse();
        }
    }

    @Test
    void eventsThatCameFromSegmentAreNotSentBack() throws Exception {
        var response = bridge.postTracking("/v1/track", INTAKE_KEY, "{\"userId\":\"u\",\"event\":\"From Segment\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        postback(Map.of("action", "hardbounce", "email", "bounced@example.com", "send_id", "s-1"));

        await().atMost(Duration.ofSeconds(15)).until(() -> sentEvents().stream().anyMatch(e -> e.path("event").asText().equals("Email Bounced")));
        assertThat(sentEvents()).noneMatch(event -> event.path("event").asText().equals("From Segment"));
    }

    @Test
    void aRateLimitedBatchIsResentAfterRetryAfter() throws Exception {
        segment.stubFor(post(urlEqualTo("/v1/batch")).atPriority(1).inScenario("429").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("open").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")));

        postback(Map.of("action", "optout", "email", "later@example.com", "optout", "0", "mode", "basic"));

        // The opt-out's identify goes first (its track waits behind it, in the person's order): refused, then resent.
        await().atMost(Duration.ofSeconds(15)).until(() -> identifiesOf("later@example.com").size() == 2);
        List<LoggedRequest> attempts = identifiesOf("later@example.com");
        long first = attempts.stream().mapToLong(r -> r.getLoggedDate().getTime()).min().orElseThrow();
        long second = attempts.stream().mapToLong(r -> r.getLoggedDate().getTime()).max().orElseThrow();
        assertThat(second - first).isGreaterThanOrEqualTo(950);
    }

    private static List<LoggedRequest> identifiesOf(String email) {
        return segment.findAll(postRequestedFor(urlEqualTo("/v1/batch"))).stream()
                .filter(r -> r.getBodyAsString().contains(email) && r.getBodyAsString().contains("\"type\":\"identify\""))
                .toList();
    }

    private static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
