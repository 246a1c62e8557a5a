package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code batch.linger}: a bulk endpoint with nothing in flight sends what it holds once the batch's first item has
 * waited the linger, instead of waiting for {@code batch.flush}; its batches fill while a request is out, or while the
 * rate has no room.
 */
class BatchLingerTest {

    /** Far longer than any wait below: a batch that arrives sooner went because its endpoint was idle. */
    private static final String FLUSH = "20s";
    private static final String QUIET = "/quiet/lists/newsletter/members";
    private static final String SLOW = "/slow/lists/newsletter/members";
    private static final String PACED = "/paced/lists/newsletter/members";
    private static final int SLOW_ANSWER_MILLIS = 1_500;
    private static final int QUIET_LINGER_MILLIS = 400;

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() {
        harness = DeliveryHarness.start(Map.of(
                "quiet", Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "200",
                        "batch.max-items", "10", "batch.flush", FLUSH, "batch.linger", QUIET_LINGER_MILLIS + "ms"),
                "slow", Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "200",
                        "batch.max-items", "10", "batch.flush", FLUSH, "batch.linger", "50ms"),
                // One request per 2 s: the second batch has to wait for the window, and fills meanwhile.
                "paced", Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "1", "rate.period", "2s",
                        "batch.max-items", "10", "batch.flush", FLUSH, "batch.linger", "50ms")));
        harness.acceptEverything();
        harness.vendor.stubFor(post(urlEqualTo(SLOW)).willReturn(okJson("{}").withFixedDelay(SLOW_ANSWER_MILLIS)));
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    /** A request the fake received, with the ids it carried among those a test sent (every destination gets all). */
    private record Received(long at, List<String> ids) {
    }

    private static List<Received> requestsCarrying(String path, String... ids) {
        List<String> wanted = List.of(ids);
        return harness.vendor.getAllServeEvents().stream()
                .map(ServeEvent::getRequest)
                .filter(request -> request.getUrl().equals(path))
                .map(request -> {
                    List<String> carried = new java.util.ArrayList<>();
                    DeliveryHarness.json(request.getBodyAsString()).path("members")
                            .forEach(member -> carried.add(member.path("id").asText()));
                    carried.retainAll(wanted);
                    return new Received(request.getLoggedDate().getTime(), carried);
                })
                .filter(received -> !received.ids().isEmpty())
                .sorted(java.util.Comparator.comparingLong(Received::at))
                .toList();
    }

    @Test
    void aLoneItemGoesAfterTheLingerNotAfterTheFlushTime() {
        String id = DeliveryHarness.newId("quiet");

        long sent = System.currentTimeMillis();
        harness.send(DeliveryHarness.identify(id, "user-quiet"));

        await().atMost(Duration.ofSeconds(8)).until(() -> requestsCarrying(QUIET, id).size() == 1);
        Received received = requestsCarrying(QUIET, id).get(0);
        assertThat(received.ids()).containsExactly(id);
        assertThat(received.at() - sent).as("milliseconds from the intake to the vendor, with batch.flush " + FLUSH)
                .isBetween((long) QUIET_LINGER_MILLIS, 5_000L);
    }

    @Test
    void itemsArrivingWhileARequestIsOutGoTogetherWhenItIsAnswered() {
        String first = DeliveryHarness.newId("slow-first");
        String[] later = new String[4];
        String[] events = new String[4];
        for (int i = 0; i < later.length; i++) {
            later[i] = DeliveryHarness.newId("slow-later" + i);
            events[i] = DeliveryHarness.identify(later[i], "user-slow-" + i);
        }

        List<String> all = new java.util.ArrayList<>(List.of(later));
        all.add(0, first);
        String[] ids = all.toArray(String[]::new);
        harness.send(DeliveryHarness.identify(first, "user-slow-first"));
        // The fake logs a request as it arrives, before its slow answer.
        await().atMost(Duration.ofSeconds(8)).until(() -> requestsCarrying(SLOW, first).size() == 1);
        harness.send(events);

        await().atMost(Duration.ofSeconds(8)).until(() -> requestsCarrying(SLOW, ids).size() == 2);
        List<Received> received = requestsCarrying(SLOW, ids);
        assertThat(received).extracting(Received::ids).containsExactly(List.of(first), List.of(later));
        assertThat(received.get(1).at() - received.get(0).at())
                .as("milliseconds from the first request to the second, which waits for the first's answer")
                .isGreaterThanOrEqualTo(SLOW_ANSWER_MILLIS - 50);
    }

    @Test
    void whenTheRateHasNoRoomTheBatchFillsAndGoesOnceItHas() {
        String first = DeliveryHarness.newId("paced-first");
        String[] later = new String[3];
        for (int i = 0; i < later.length; i++) {
            later[i] = DeliveryHarness.newId("paced-later" + i);
        }

        List<String> all = new java.util.ArrayList<>(List.of(later));
        all.add(0, first);
        String[] ids = all.toArray(String[]::new);
        harness.send(DeliveryHarness.identify(first, "user-paced-first"));
        await().atMost(Duration.ofSeconds(8)).until(() -> requestsCarrying(PACED, first).size() == 1);
        // One at a time, so each arrives alone at a batcher whose window has no room yet.
        for (int i = 0; i < later.length; i++) {
            harness.send(DeliveryHarness.identify(later[i], "user-paced-" + i));
        }

        await().atMost(Duration.ofSeconds(8)).until(() -> requestsCarrying(PACED, ids).size() == 2);
        List<Received> received = requestsCarrying(PACED, ids);
        assertThat(received).extracting(Received::ids).containsExactly(List.of(first), List.of(later));
        assertThat(received.get(1).at() - received.get(0).at())
                .as("milliseconds between the two requests: one request per 2 s")
                .isGreaterThanOrEqualTo(1_950);
    }
}
