package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two destinations side by side: one paced at 5 requests per second, one whose requests are cut by bytes. */
class DeliveryLimitsTest {

    private static final int ITEM_ID_LENGTH = 20;
    /** {"id":"<20 chars>","user":"u-bytes-N"} */
    private static final int ITEM_BYTES = ("{\"id\":\"" + "x".repeat(ITEM_ID_LENGTH) + "\",\"user\":\"u-bytes-0\"}").length();
    /** Room for the engine's envelope allowance and two items, not three. */
    private static final int MAX_BYTES = 512 + 2 * (ITEM_BYTES + 1) + 1;

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() {
        harness = DeliveryHarness.start(Map.of(
                "paced", Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "5", "rate.period", "1s"),
                "small", Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "100", "batch.max-bytes",
                        Integer.toString(MAX_BYTES), "batch.flush", "300ms", "batch.linger", "300ms")));
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @BeforeEach
    void vendorAcceptsEverything() {
        harness.vendor.resetAll();
        harness.acceptEverything();
    }

    @Test
    void pacedDestinationNeverExceedsItsRateInAnyWindow() {
        String[] events = new String[20];
        for (int i = 0; i < events.length; i++) {
            events[i] = DeliveryHarness.track(DeliveryHarness.newId("paced" + i), "paced-user-" + i);
        }

        harness.send(events);

        await().atMost(Duration.ofSeconds(20)).until(() -> harness.vendor.findAll(postRequestedFor(urlEqualTo("/paced/events"))).size() == 20);
        List<Long> times = harness.vendor.findAll(postRequestedFor(urlEqualTo("/paced/events"))).stream()
                .map(request -> request.getLoggedDate().getTime()).sorted().toList();
        int busiest = 0;
        for (int first = 0; first < times.size(); first++) {
            int inWindow = 0;
            for (long time : times) {
                if (time >= times.get(first) && time < times.get(first) + 1_000) {
                    inWindow++;
                }
            }
            busiest = Math.max(busiest, inWindow);
        }
        assertThat(busiest).as("most requests in any 1 s window").isLessThanOrEqualTo(5);
        assertThat(times.get(times.size() - 1) - times.get(0)).as("20 requests at 5/s take ~3 s or more").isGreaterThanOrEqualTo(2_900);
    }

    @Test
    void bulkRequestsAreCutByBytes() {
        List<String> ids = new ArrayList<>();
        String[] events = new String[5];
        for (int i = 0; i < events.length; i++) {
            String id = ("bytes" + i + "-" + java.util.UUID.randomUUID()).substring(0, ITEM_ID_LENGTH);
            ids.add(id);
            events[i] = DeliveryHarness.identify(id, "u-bytes-" + i);
        }

        harness.send(events);

        await().atMost(Duration.ofSeconds(10)).until(() -> harness.idsPerRequest("/small/lists/newsletter/members").stream()
                .mapToInt(List::size).sum() == 5);
        // Different people's batches may be in flight together, so their requests can arrive in either order.
        assertThat(harness.idsPerRequest("/small/lists/newsletter/members"))
                .containsExactlyInAnyOrder(ids.subList(0, 2), ids.subList(2, 4), ids.subList(4, 5));
        assertThat(harness.vendor.findAll(postRequestedFor(urlEqualTo("/small/lists/newsletter/members"))))
                .allSatisfy(request -> assertThat(request.getBody().length).isLessThanOrEqualTo(MAX_BYTES));
    }

    @Test
    void replayedDeadLetterGoesToItsOwnDestinationOnly() {
        String id = DeliveryHarness.newId("replay-only");
        harness.vendor.stubFor(post(urlEqualTo("/small/lists/newsletter/members")).atPriority(1).withRequestBody(containing(id))
                .willReturn(aResponse().withStatus(400).withBody("{\"error\":\"rejected\"}")));
        harness.send(DeliveryHarness.identify(id, "u-replay-only"));
        await().atMost(Duration.ofSeconds(10)).until(() -> harness.deadLetters("small", id).size() == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> requests("/paced/lists/newsletter/members", id).size() == 1);
        harness.vendor.resetAll();
        vendorAcceptsEverything();

        String letter = harness.deadLetters("small", id).get(0).path("id").asText();
        assertThat(harness.bridge.post("/admin/dead-letters/" + letter + "/replay", "", harness.admin()).statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> requests("/small/lists/newsletter/members", id).size() == 1);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2))
                .until(() -> requests("/paced/lists/newsletter/members", id).isEmpty());
    }

    private static List<LoggedRequest> requests(String path, String id) {
        return harness.vendor.findAll(postRequestedFor(urlEqualTo(path)).withRequestBody(containing(id)));
    }
}
