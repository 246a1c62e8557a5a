package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;

/** Destinations in dry-run build their requests exactly, record them for /admin/dry-run, and send nothing. */
class DryRunTest {

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() {
        harness = DeliveryHarness.start(Map.of(
                "nokey", Map.of("batch.flush", "200ms"),
                "forced", Map.of("api-key", DeliveryHarness.API_KEY, "dry-run", "true", "batch.flush", "200ms")));
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static JsonNode recorded(String destination) {
        return RunningBridge.json(harness.bridge.get("/admin/dry-run?destination=" + destination, harness.admin())).path("requests");
    }

    @Test
    void requestsAreRecordedExactlyWithSecretsMaskedAndNothingIsSent() {
        String track = DeliveryHarness.newId("dry-track");
        String identify = DeliveryHarness.newId("dry-identify");

        harness.send(DeliveryHarness.track(track, "dry-user"), DeliveryHarness.identify(identify, "dry-user"));

        await().atMost(Duration.ofSeconds(10)).until(() -> recorded("nokey").size() == 2 && recorded("forced").size() == 2);
        JsonNode newest = recorded("nokey").get(0);
        JsonNode oldest = recorded("nokey").get(1);
        assertThat(oldest.path("method").asText()).isEqualTo("POST");
        assertThat(oldest.path("url").asText()).isEqualTo(harness.vendor.baseUrl() + "/nokey/events");
        assertThat(oldest.path("action").asText()).isEqualTo("single");
        assertThat(oldest.path("body")).isEqualTo(DeliveryHarness.json(
                "{\"id\":\"" + track + "\",\"user\":\"dry-user\",\"event\":\"Clicked\"}"));
        assertThat(oldest.path("headers").path("Idempotency-Key").asText()).isEqualTo(track);
        assertThat(oldest.path("headers").has("X-Api-Key")).as("no credentials, no auth header").isFalse();
        assertThat(newest.path("url").asText()).isEqualTo(harness.vendor.baseUrl() + "/nokey/lists/newsletter/members");
        assertThat(newest.path("body")).isEqualTo(DeliveryHarness.json(
                "{\"members\":[{\"id\":\"" + identify + "\",\"user\":\"dry-user\"}]}"));

        JsonNode forced = recorded("forced").get(1);
        assertThat(forced.path("headers").path("X-Api-Key").asText()).isEqualTo("***");
        assertThat(recorded("forced").toString()).doesNotContain(DeliveryHarness.API_KEY);

        assertThat(harness.vendor.getAllServeEvents()).as("requests the fake vendor received").isEmpty();
        assertThat(harness.bridge.metric("bridge_delivery_items_total", Map.of("destination", "nokey", "outcome", "dry_run")))
                .isEqualTo(2);
    }

    @Test
    void aRecordedRequestSurvivesARestartAndGoesWhenItsPersonIsErased() {
        String track = DeliveryHarness.newId("dry-erased");
        harness.send(DeliveryHarness.track(track, "dry-erased-user"));
        await().atMost(Duration.ofSeconds(10)).until(() -> recorded("nokey").toString().contains(track));

        // Kept in the state database, which every bridge of a cluster shares: a restart (or another bridge) lists it.
        harness.bridge.restart();
        assertThat(recorded("nokey").toString()).contains(track);

        assertThat(harness.bridge.post("/admin/privacy/delete", "{\"userId\":\"dry-erased-user\"}", harness.admin()).statusCode())
                .isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).until(() -> !recorded("nokey").toString().contains("dry-erased-user"));
        assertThat(recorded("nokey").toString()).doesNotContain(track);
    }
}
