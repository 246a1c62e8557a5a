package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;

/**
 * The delivery engine against a fake vendor: batching, retries, verdicts per item, splitting, per-person order and
 * the dead-letter admin endpoints, with exact request counts and bodies.
 */
class DeliveryEngineTest {

    private static final String EVENTS = "/test/events";
    private static final String MEMBERS = "/test/lists/newsletter/members";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() {
        harness = DeliveryHarness.start(Map.of("test", Map.of(
                "api-key", DeliveryHarness.API_KEY,
                "rate.requests", "200",
                "batch.max-items", "3",
                "batch.flush", "300ms",
                // These tests pin which items share a request: batches go only when full or flushed.
                "batch.linger", "300ms",
                "retry.initial-delay", "200ms",
                "retry.max-delay", "1s",
                "retry.max-attempts", "3",
                "timeout.request", "700ms")));
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

    private static List<LoggedRequest> requestsTo(String path) {
        return harness.vendor.findAll(postRequestedFor(urlEqualTo(path)));
    }

    private static List<LoggedRequest> requestsCarrying(String path, String id) {
        return harness.vendor.findAll(postRequestedFor(urlEqualTo(path)).withRequestBody(containing(id)));
    }

    private static double items(String action, String outcome) {
        return harness.bridge.metric("bridge_delivery_items_total",
                Map.of("destination", "test", "action", action, "outcome", outcome));
    }

    @Test
    void bulkItemsAreBatchedByCountWithExactBodiesAndAuth() {
        String[] ids = new String[7];
        String[] events = new String[7];
        for (int i = 0; i < 7; i++) {
            ids[i] = DeliveryHarness.newId("count" + i);
            events[i] = DeliveryHarness.identify(ids[i], "user-count-" + i);
        }

        harness.send(events);

        await().atMost(WAIT).until(() -> requestsTo(MEMBERS).size() == 3);
        // Batches of different people may be in flight together, so they can arrive in either order.
        assertThat(harness.idsPerRequest(MEMBERS)).containsExactlyInAnyOrder(
                List.of(ids[0], ids[1], ids[2]), List.of(ids[3], ids[4], ids[5]), List.of(ids[6]));
        harness.vendor.verify(postRequestedFor(urlEqualTo(MEMBERS))
                .withHeader("X-Api-Key", equalTo(DeliveryHarness.API_KEY))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("{\"members\":[{\"id\":\"" + ids[0] + "\",\"user\":\"user-count-0\"},"
                        + "{\"id\":\"" + ids[1] + "\",\"user\":\"user-count-1\"},{\"id\":\"" + ids[2] + "\",\"user\":\"user-count-2\"}]}")));
    }

    @Test
    void rateLimitedAnswerIsRetriedNoSoonerThanRetryAfter() {
        String id = DeliveryHarness.newId("429");
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(id)).inScenario("429")
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("limited")
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "2").withBody("{\"code\":\"RateLimitExceeded\"}")));
        double seen429 = harness.bridge.metric("bridge_delivery_rate_limited_total", Map.of("destination", "test"));

        harness.send(DeliveryHarness.track(id, "user-429"));

        // While the vendor's pause lasts, the destination reports how much of it is left.
        await().atMost(Duration.ofMillis(1_800)).pollInterval(Duration.ofMillis(50))
                .until(() -> harness.bridge.metric("bridge_delivery_paused_seconds", Map.of("destination", "test")) > 0);
        assertThat(harness.bridge.metric("bridge_delivery_paused_seconds", Map.of("destination", "test"))).isLessThanOrEqualTo(2.0);
        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, id).size() == 2);
        List<LoggedRequest> attempts = requestsCarrying(EVENTS, id);
        long gap = attempts.get(1).getLoggedDate().getTime() - attempts.get(0).getLoggedDate().getTime();
        assertThat(gap).as("milliseconds between the 429 and the retry").isGreaterThanOrEqualTo(1_950);
        assertThat(harness.bridge.metric("bridge_delivery_rate_limited_total", Map.of("destination", "test"))).isEqualTo(seen429 + 1);
        assertThat(harness.bridge.metric("bridge_delivery_paused_seconds", Map.of("destination", "test"))).as("the pause is over").isZero();
        assertThat(harness.deadLetters("test", id)).isEmpty();
    }

    @Test
    void serverErrorAndTimeoutAreRetriedWithTheSameIdempotencyKeyThenDelivered() {
        String id = DeliveryHarness.newId("5xx");
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(id)).inScenario("flaky")
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("slow")
                .willReturn(aResponse().withStatus(503).withBody("maintenance")));
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(id)).inScenario("flaky")
                .whenScenarioStateIs("slow").willSetStateTo("fine")
                .willReturn(okJson("{\"ok\":true}").withFixedDelay(1_500)));
        double delivered = items("single", "delivered");

        harness.send(DeliveryHarness.track(id, "user-5xx"));

        await().atMost(WAIT).until(() -> items("single", "delivered") == delivered + 1);
        List<LoggedRequest> attempts = requestsCarrying(EVENTS, id);
        assertThat(attempts).hasSize(3);
        assertThat(attempts).allSatisfy(request -> {
            assertThat(request.getHeader("Idempotency-Key")).isEqualTo(id);
            assertThat(DeliveryHarness.json(request.getBodyAsString()))
                    .isEqualTo(DeliveryHarness.json("{\"id\":\"" + id + "\",\"user\":\"user-5xx\",\"event\":\"Clicked\"}"));
        });
        assertThat(harness.deadLetters("test", id)).isEmpty();
    }

    @Test
    void clientErrorIsDeadLetteredAtOnceWithTheVendorsMessage() {
        String id = DeliveryHarness.newId("4xx");
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(id))
                .willReturn(aResponse().withStatus(422).withBody("{\"error\":\"event name Clicked is not allowed\"}")));

        harness.send(DeliveryHarness.track(id, "user-4xx"));

        await().atMost(WAIT).until(() -> harness.deadLetters("test", id).size() == 1);
        JsonNode letter = harness.deadLetters("test", id).get(0);
        assertThat(letter.path("action").asText()).isEqualTo("single");
        assertThat(letter.path("status").asInt()).isEqualTo(422);
        assertThat(letter.path("attempts").asInt()).isEqualTo(1);
        assertThat(letter.path("reason").asText()).contains("event name Clicked is not allowed");
        assertThat(letter.path("event").path("messageId").asText()).isEqualTo(id);
        assertThat(letter.toString()).doesNotContain(DeliveryHarness.API_KEY);
        assertThat(requestsCarrying(EVENTS, id)).hasSize(1);
    }

    @Test
    void perItemErrorInsideA200DeadLettersExactlyThatItem() {
        String first = DeliveryHarness.newId("item-a");
        String rejected = DeliveryHarness.newId("item-b");
        String third = DeliveryHarness.newId("item-c");
        harness.vendor.stubFor(post(urlEqualTo(MEMBERS)).withRequestBody(containing(rejected))
                .willReturn(okJson("{\"failed\":[{\"id\":\"" + rejected + "\",\"error\":\"invalid email address\"}]}")));
        double delivered = items("bulk", "delivered");

        harness.send(DeliveryHarness.identify(first, "u-item-a"), DeliveryHarness.identify(rejected, "u-item-b"),
                DeliveryHarness.identify(third, "u-item-c"));

        await().atMost(WAIT).until(() -> harness.deadLetters("test", rejected).size() == 1);
        assertThat(harness.idsPerRequest(MEMBERS)).containsExactly(List.of(first, rejected, third));
        JsonNode letter = harness.deadLetters("test", rejected).get(0);
        assertThat(letter.path("code").asText()).isEqualTo("member_rejected");
        assertThat(letter.path("reason").asText()).isEqualTo("invalid email address");
        assertThat(letter.path("item").path("id").asText()).isEqualTo(rejected);
        assertThat(harness.deadLetters("test", first)).isEmpty();
        assertThat(harness.deadLetters("test", third)).isEmpty();
        await().atMost(WAIT).until(() -> items("bulk", "delivered") == delivered + 2);
    }

    @Test
    void batchRejectedWholeIsSplitSoTheGoodItemsStillGo() {
        String[] ids = {DeliveryHarness.newId("split-1"), DeliveryHarness.newId("split-2"), DeliveryHarness.newId("split-3"),
                DeliveryHarness.newId("split-4")};
        harness.vendor.stubFor(post(urlEqualTo(MEMBERS)).atPriority(1).withRequestBody(containing(ids[2]))
                .willReturn(aResponse().withStatus(400).withBody("{\"error\":\"member " + ids[2] + " is invalid\"}")));

        harness.send(DeliveryHarness.identify(ids[0], "u-split-1"), DeliveryHarness.identify(ids[1], "u-split-2"),
                DeliveryHarness.identify(ids[2], "u-split-3"), DeliveryHarness.identify(ids[3], "u-split-4"));

        await().atMost(WAIT).until(() -> harness.deadLetters("test", ids[2]).size() == 1);
        await().atMost(WAIT).until(() -> requestsTo(MEMBERS).size() == 6);
        assertThat(harness.idsPerRequest(MEMBERS)).containsExactlyInAnyOrder(
                List.of(ids[0], ids[1], ids[2]), List.of(ids[3]),
                List.of(ids[0]), List.of(ids[1], ids[2]),
                List.of(ids[1]), List.of(ids[2]));
        JsonNode letter = harness.deadLetters("test", ids[2]).get(0);
        assertThat(letter.path("status").asInt()).isEqualTo(400);
        assertThat(letter.path("reason").asText()).contains("is invalid");
        for (String good : List.of(ids[0], ids[1], ids[3])) {
            assertThat(harness.deadLetters("test", good)).as(good).isEmpty();
        }
    }

    @Test
    void onePersonsBackoffNeitherDelaysOthersNorLetsThatPersonsLaterEventOvertake() {
        String a1 = DeliveryHarness.newId("order-a1");
        String a2 = DeliveryHarness.newId("order-a2");
        String b1 = DeliveryHarness.newId("order-b1");
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(a1)).inScenario("backoff")
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("recovered")
                .willReturn(aResponse().withStatus(503)));

        harness.send(DeliveryHarness.track(a1, "person-a"), DeliveryHarness.track(a2, "person-a"),
                DeliveryHarness.track(b1, "person-b"));

        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, a2).size() == 1);
        List<String> order = harness.idsPerRequest(EVENTS).stream().map(ids -> ids.get(0))
                .filter(id -> id.equals(a1) || id.equals(a2) || id.equals(b1)).toList();
        assertThat(order.stream().filter(id -> !id.equals(b1)).toList()).as("person A's requests; vendor saw %s",
                        harness.vendor.getAllServeEvents().stream().map(e -> e.getResponse().getStatus() + " " + e.getRequest().getBodyAsString()
                                + " stub=" + (e.getStubMapping() == null ? null : e.getStubMapping().getScenarioName())).toList())
                .containsExactly(a1, a1, a2);
        assertThat(order.indexOf(b1)).as("B goes before A's retry").isLessThan(order.lastIndexOf(a1));
        long firstA1 = requestsCarrying(EVENTS, a1).get(0).getLoggedDate().getTime();
        long b1At = requestsCarrying(EVENTS, b1).get(0).getLoggedDate().getTime();
        assertThat(Math.abs(b1At - firstA1)).as("B waited for A's backoff (ms)").isLessThan(150);
    }

    @Test
    void retriesGiveUpIntoADeadLetterAfterTheAttemptBudget() {
        String id = DeliveryHarness.newId("budget");
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(id))
                .willReturn(aResponse().withStatus(502).withBody("bad gateway")));

        harness.send(DeliveryHarness.track(id, "user-budget"));

        await().atMost(WAIT).until(() -> harness.deadLetters("test", id).size() == 1);
        JsonNode letter = harness.deadLetters("test", id).get(0);
        assertThat(letter.path("code").asText()).isEqualTo("retries_exhausted");
        assertThat(letter.path("attempts").asInt()).isEqualTo(3);
        assertThat(letter.path("status").asInt()).isEqualTo(502);
        assertThat(letter.path("reason").asText()).startsWith("gave up after 3 attempt(s)").contains("HTTP 502: bad gateway");
        assertThat(requestsCarrying(EVENTS, id)).hasSize(3);
    }

    @Test
    void eventAnActionCannotUseIsDeadLetteredNamingTheRouteAndNothingIsSent() {
        String id = DeliveryHarness.newId("route");

        harness.send("{\"type\":\"track\",\"event\":\"Clicked\",\"anonymousId\":\"anon-route\",\"messageId\":\"" + id + "\"}");

        await().atMost(WAIT).until(() -> harness.deadLetters("test", id).size() == 1);
        JsonNode letter = harness.deadLetters("test", id).get(0);
        assertThat(letter.path("action").asText()).isEqualTo("route:test-tracks");
        assertThat(letter.path("code").asText()).isEqualTo("route_failed");
        assertThat(letter.path("reason").asText()).contains("userId or an email is required by the fake vendor's single action");
        assertThat(requestsCarrying(EVENTS, id)).isEmpty();
    }

    @Test
    void vendorSayingNoRequestsRemainPausesSendingUntilItsReset() {
        String first = DeliveryHarness.newId("reset-1");
        String second = DeliveryHarness.newId("reset-2");
        harness.vendor.stubFor(post(urlEqualTo(EVENTS)).withRequestBody(containing(first))
                .willReturn(okJson("{\"ok\":true}").withHeader("X-RateLimit-Remaining", "0").withHeader("X-RateLimit-Reset", "2")));

        harness.send(DeliveryHarness.track(first, "user-reset-1"));
        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, first).size() == 1);
        harness.send(DeliveryHarness.track(second, "user-reset-2"));

        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, second).size() == 1);
        long gap = requestsCarrying(EVENTS, second).get(0).getLoggedDate().getTime()
                - requestsCarrying(EVENTS, first).get(0).getLoggedDate().getTime();
        assertThat(gap).as("milliseconds between the exhausted window and the next request").isGreaterThanOrEqualTo(1_900);
    }

    @Test
    void deadLettersAreReplayedOneAtATimeAndByDestinationAndDiscarded() {
        String one = DeliveryHarness.newId("replay-1");
        String two = DeliveryHarness.newId("replay-2");
        String three = DeliveryHarness.newId("replay-3");
        String gone = DeliveryHarness.newId("replay-discard");
        for (String id : List.of(one, two, three, gone)) {
            harness.vendor.stubFor(post(urlEqualTo(EVENTS)).atPriority(1).withRequestBody(containing(id))
                    .willReturn(aResponse().withStatus(400).withBody("{\"error\":\"not yet\"}")));
        }
        harness.send(DeliveryHarness.track(one, "u-r1"), DeliveryHarness.track(two, "u-r2"),
                DeliveryHarness.track(three, "u-r3"), DeliveryHarness.track(gone, "u-r4"));
        await().atMost(WAIT).until(() -> List.of(one, two, three, gone).stream()
                .allMatch(id -> harness.deadLetters("test", id).size() == 1));
        harness.vendor.resetAll();
        vendorAcceptsEverything();

        String oneId = harness.deadLetters("test", one).get(0).path("id").asText();
        var replayed = harness.bridge.post("/admin/dead-letters/" + oneId + "/replay", "", harness.admin());
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, one).size() == 1);
        assertThat(harness.deadLetters("test", one)).isEmpty();

        String goneId = harness.deadLetters("test", gone).get(0).path("id").asText();
        assertThat(harness.bridge.send("DELETE", "/admin/dead-letters/" + goneId, harness.admin()).statusCode()).isEqualTo(200);
        assertThat(harness.bridge.send("DELETE", "/admin/dead-letters/" + goneId, harness.admin()).statusCode()).isEqualTo(404);

        var all = harness.bridge.post("/admin/dead-letters/replay?destination=test", "", harness.admin());
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(RunningBridge.json(all).path("replayed").asInt()).isGreaterThanOrEqualTo(2);
        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, two).size() == 1 && requestsCarrying(EVENTS, three).size() == 1);
        assertThat(requestsCarrying(EVENTS, gone)).as("a discarded dead letter is not replayed").isEmpty();
        assertThat(harness.deadLetters("test", two)).isEmpty();
    }

    @Test
    void anEventWhoseIntegrationsDisableTheDestinationIsNotSentThere() {
        String kept = DeliveryHarness.newId("flag-kept");
        String allowed = DeliveryHarness.newId("flag-allowed");
        double skipped = harness.bridge.metric("bridge_delivery_events_skipped_total", Map.of("destination", "test"));

        harness.send("{\"type\":\"track\",\"event\":\"Clicked\",\"userId\":\"u-flag\",\"messageId\":\"" + kept + "\","
                        + "\"integrations\":{\"All\":true,\"Test\":false}}",
                "{\"type\":\"track\",\"event\":\"Clicked\",\"userId\":\"u-flag\",\"messageId\":\"" + allowed + "\","
                        + "\"integrations\":{\"All\":false,\"Webhooks\":true}}");

        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, allowed).size() == 1);
        assertThat(requestsCarrying(EVENTS, kept)).as("integrations.Test = false").isEmpty();
        assertThat(harness.bridge.metric("bridge_delivery_events_skipped_total", Map.of("destination", "test"))).isEqualTo(skipped + 1);
    }

    @Test
    void adminEndpointsRefuseMissingOrWrongTokens() {
        assertThat(harness.bridge.get("/admin/dead-letters").statusCode()).isEqualTo(401);
        var wrong = harness.bridge.get("/admin/dead-letters", "Authorization", "Bearer not-the-token");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(wrong).path("error").asText()).isEqualTo("invalid admin token");
        assertThat(harness.bridge.post("/admin/dead-letters/replay", "").statusCode()).isEqualTo(401);
        assertThat(harness.bridge.post("/admin/dead-letters/some-id/replay", "").statusCode()).isEqualTo(401);
        assertThat(harness.bridge.send("DELETE", "/admin/dead-letters/some-id").statusCode()).isEqualTo(401);
        assertThat(harness.bridge.get("/admin/dry-run").statusCode()).isEqualTo(401);
        assertThat(harness.bridge.get("/admin/dead-letters?limit=0", harness.admin()).statusCode()).isEqualTo(400);
    }
}
