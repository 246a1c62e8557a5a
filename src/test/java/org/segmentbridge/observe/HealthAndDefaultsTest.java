package org.segmentbridge.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;

import org.apache.camel.Service;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.support.RunningBridge;

/** A bridge with no secrets configured: healthy, observable, and refusing what it cannot authenticate. */
class HealthAndDefaultsTest {

    private static RunningBridge bridge;

    @BeforeAll
    static void startBridgeWithoutSecrets() {
        bridge = RunningBridge.start(Map.of());
    }

    @AfterAll
    static void stopBridge() {
        bridge.close();
    }

    @Test
    void healthIsUp() {
        HttpResponse<String> health = bridge.getManagement("/observe/health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(RunningBridge.json(health).path("status").asText()).isEqualTo("UP");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stateStore", "eventBroker"})
    void healthGoesDownWhileAStoreIsDownAndRecovers(String service) throws Exception {
        Service store = bridge.main().getCamelContext().getRegistry().lookupByNameAndType(service, Service.class);
        store.stop();
        try {
            HttpResponse<String> down = bridge.getManagement("/observe/health");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(RunningBridge.json(down).path("status").asText()).isEqualTo("DOWN");
            assertThat(metricsLine("bridge_health_up")).as("the health metric, for alerts").isEqualTo("bridge_health_up 0.0");
        } finally {
            store.start();
        }
        // The processor notices at its next read, within its longest pause (5 s).
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> bridge.getManagement("/observe/health").statusCode() == 200);
        assertThat(metricsLine("bridge_health_up")).isEqualTo("bridge_health_up 1.0");
    }

    /** The sample of a metric without labels, read without waiting for the processor (which may be stopped). */
    private static String metricsLine(String name) {
        return bridge.getManagement("/observe/metrics").body().lines().filter(line -> line.startsWith(name + " "))
                .findFirst().orElse("(" + name + " not exported)");
    }

    @Test
    void trackingApiWithoutWriteKeysAnswers401NamingTheSetting() {
        HttpResponse<String> response = bridge.postTracking("/v1/track", "any-key", "{\"userId\":\"u\",\"event\":\"E\"}");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("BRIDGE_WRITE_KEYS");
    }

    @Test
    void segmentWebhookWithoutSecretAnswers401NamingTheSetting() {
        HttpResponse<String> response = bridge.post("/webhooks/segment", "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"}",
                "Content-Type", "application/json", "X-Signature", "00");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("SEGMENT_WEBHOOK_SECRET");
    }

    @Test
    void metricsArePrometheusTextWithQueueDepthPerDestination() {
        HttpResponse<String> metrics = bridge.getManagement("/observe/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains(
                "bridge_queue_depth{destination=\"emarsys\"} 0.0",
                "bridge_queue_depth{destination=\"sailthru\"} 0.0",
                "bridge_queue_depth{destination=\"iterable\"} 0.0",
                "bridge_queue_depth{destination=\"segment\"} 0.0");
    }

    @Test
    void noNotifierAsksCamelForAnEventPerExchange() {
        // The bridge's own notifiers (its start and stop, a vendor's stop) listen to the context only, and Camel's
        // micrometer route notifier is off: Camel then makes no event object for each exchange.
        var notifiers = bridge.main().getCamelContext().getManagementStrategy().getEventNotifiers();

        assertThat(notifiers).isNotEmpty().allMatch(notifier -> notifier.isIgnoreExchangeEvents());
        assertThat(bridge.main().getCamelContext().getCamelContextExtension().isEventNotificationApplicable()).isFalse();
    }
}
