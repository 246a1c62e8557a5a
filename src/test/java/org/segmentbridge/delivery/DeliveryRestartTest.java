package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * A stop mid-batch and mid-request: the request in flight is answered and settled before the bridge stops, so it is not
 * sent again; the events still waiting in a batch were never sent, go back to the log, and are delivered after the
 * restart.
 */
class DeliveryRestartTest {

    private static final String MEMBERS = "/test/lists/newsletter/members";
    private static final String EVENTS = "/test/events";

    @Test
    void restartMidBatchAndMidRequestLosesNothingAndSendsNothingTwice() {
        try (DeliveryHarness harness = DeliveryHarness.start(Map.of("test", Map.of(
                "api-key", DeliveryHarness.API_KEY, "rate.requests", "100", "batch.flush", "6s", "batch.linger", "6s",
                "timeout.request", "10s")))) {
            harness.vendor.stubFor(post(urlEqualTo(MEMBERS)).willReturn(okJson("{\"failed\":[]}")));
            // The vendor is slow: the first track's request is still unanswered when the bridge stops.
            harness.vendor.stubFor(post(urlEqualTo(EVENTS)).willReturn(okJson("{\"ok\":true}").withFixedDelay(4_000)));
            String[] identifies = new String[5];
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < identifies.length; i++) {
                String id = DeliveryHarness.newId("restart" + i);
                ids.add(id);
                identifies[i] = DeliveryHarness.identify(id, "restart-user-" + i);
            }
            String track = DeliveryHarness.newId("restart-track");
            harness.send(identifies);
            harness.send(DeliveryHarness.track(track, "restart-tracker"));
            await().atMost(Duration.ofSeconds(5)).until(() -> harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS))).size() == 1);
            assertThat(harness.vendor.findAll(postRequestedFor(urlEqualTo(MEMBERS)))).as("the batch is still filling").isEmpty();

            // The stop waits for the slow answer (well within bridge.shutdown.timeout).
            harness.bridge.restart();

            await().atMost(Duration.ofSeconds(15)).until(() -> harness.idsPerRequest(MEMBERS).stream()
                    .flatMap(List::stream).toList().containsAll(ids));
            await().atMost(Duration.ofSeconds(15)).until(() -> harness.bridge.metric("bridge_queue_depth", Map.of("destination", "test")) == 0);
            assertThat(harness.idsPerRequest(EVENTS)).as("the request answered during the stop, sent once").containsExactly(List.of(track));
            assertThat(harness.idsPerRequest(MEMBERS).stream().flatMap(List::stream).toList()).as("the batch, sent after the restart")
                    .containsExactlyInAnyOrderElementsOf(ids);
            assertThat(harness.deadLetters("test", track)).isEmpty();
        }
    }
}
