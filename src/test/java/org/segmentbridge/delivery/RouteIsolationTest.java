package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A destination's use-case routes against a fake vendor: they run on each event in the order they declare
 * ({@code events:<destination>?order=<n>}), and one that fails dead-letters only its own work.
 */
class RouteIsolationTest {

    private static final String EVENTS = "/test/events";
    private static final String MEMBERS = "/test/lists/newsletter/members";
    private static final String DOOMED = "/test/lists/doomed/members";
    private static final Duration WAIT = Duration.ofSeconds(15);

    /**
     * Every track: first to the newsletter list, then (for "Explode" only) a route that prepares an item and then
     * throws, then the event itself. The file lists them in neither their order nor their ids' order, and both
     * destinations use the same orders: orders are compared within one destination only.
     */
    static final String ROUTES = """
            - route:
                id: %1$s-a-event
                from:
                  uri: events:%1$s?order=3
                  steps:
                    - filter:
                        simple: "${header.eventType} == 'track'"
                        steps:
                          - to: deliver:%1$s:single
            - route:
                id: %1$s-b-explodes
                from:
                  uri: events:%1$s?order=2
                  steps:
                    - filter:
                        simple: "${header.eventName} == 'Explode'"
                        steps:
                          - to: deliver:%1$s:bulk?list=doomed
                          - throwException:
                              exceptionType: java.lang.IllegalStateException
                              message: "no use case for ${header.eventName}"
            - route:
                id: %1$s-c-newsletter
                from:
                  uri: events:%1$s?order=1
                  steps:
                    - filter:
                        simple: "${header.eventType} == 'track'"
                        steps:
                          - to: deliver:%1$s:bulk?list=newsletter
            """;

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() {
        Map<String, String> settings = Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "200", "batch.flush", "100ms");
        harness = DeliveryHarness.start(Map.of("test", settings, "other", settings), null, Map.of(), ROUTES);
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

    private static List<LoggedRequest> requestsCarrying(String path, String id) {
        return harness.vendor.findAll(postRequestedFor(urlEqualTo(path)).withRequestBody(containing(id)));
    }

    private static String explode(String messageId, String userId) {
        return "{\"type\":\"track\",\"event\":\"Explode\",\"userId\":\"" + userId + "\",\"messageId\":\"" + messageId + "\"}";
    }

    @Test
    void routesRunOnAnEventInTheirDeclaredOrder() {
        String id = DeliveryHarness.newId("order");

        harness.send(DeliveryHarness.track(id, "user-order"));

        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, id).size() == 1);
        // One person's items go one after the other, in the order the routes prepared them.
        List<String> paths = harness.vendor.findAll(postRequestedFor(urlMatching("/test/.*")).withRequestBody(containing(id)))
                .stream().sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).map(LoggedRequest::getUrl).toList();
        assertThat(paths).containsExactly(MEMBERS, EVENTS);
    }

    @Test
    void aFailingRouteDeadLettersOnlyItsOwnWorkAndTheEventsOtherRoutesStillDeliver() {
        String id = DeliveryHarness.newId("isolated");

        harness.send(explode(id, "user-isolated"));

        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, id).size() == 1 && requestsCarrying(MEMBERS, id).size() == 1);
        List<JsonNode> letters = harness.deadLetters("test", id);
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).path("action").asText()).isEqualTo("route:test-b-explodes");
        assertThat(letters.get(0).path("code").asText()).isEqualTo("route_failed");
        assertThat(letters.get(0).path("reason").asText()).isEqualTo("no use case for Explode");
        // The event is acknowledged once the other routes' items are delivered: nothing of it stays queued.
        await().atMost(WAIT).until(() -> harness.bridge.metric("bridge_queue_depth", Map.of("destination", "test")) == 0);
        assertThat(requestsCarrying(DOOMED, id)).as("the failed route's own item").isEmpty();
        assertThat(requestsCarrying(EVENTS, id)).hasSize(1);
        assertThat(requestsCarrying(MEMBERS, id)).hasSize(1);
        assertThat(harness.deadLetters("other", id)).as("the same routes at another destination").hasSize(1);
    }

    @Test
    void replayingAFailedRoutesDeadLetterRunsThatRouteAloneSoNothingDeliveredIsResent() {
        String id = DeliveryHarness.newId("replay-route");
        harness.send(explode(id, "user-replay-route"));
        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, id).size() == 1 && requestsCarrying(MEMBERS, id).size() == 1
                && harness.deadLetters("test", id).size() == 1);
        String first = harness.deadLetters("test", id).get(0).path("id").asText();

        var replayed = harness.bridge.post("/admin/dead-letters/" + first + "/replay", "", harness.admin());
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);

        // The route fails again: a new dead letter for it alone.
        await().atMost(WAIT).until(() -> harness.deadLetters("test", id).size() == 1
                && !harness.deadLetters("test", id).get(0).path("id").asText().equals(first));
        assertThat(harness.deadLetters("test", id).get(0).path("action").asText()).isEqualTo("route:test-b-explodes");
        // A later event of the same person is delivered after anything the replay could have prepared.
        String later = DeliveryHarness.newId("replay-route-later");
        harness.send(DeliveryHarness.track(later, "user-replay-route"));
        await().atMost(WAIT).until(() -> requestsCarrying(EVENTS, later).size() == 1);
        assertThat(requestsCarrying(EVENTS, id)).as("not resent by the replay").hasSize(1);
        assertThat(requestsCarrying(MEMBERS, id)).as("not resent by the replay").hasSize(1);
        assertThat(requestsCarrying(DOOMED, id)).isEmpty();
    }

    @Test
    void twoRoutesOfOneDestinationWithTheSameOrderStopTheStartNamingBoth() {
        String clash = ROUTES.replace("?order=2", "?order=1");

        assertThatThrownBy(() -> DeliveryHarness.start(Map.of("test", Map.of()), null, Map.of(), clash).close())
                .rootCause().hasMessageContainingAll("routes test-", "test/use-cases.yaml", " both take order 1 at destination test",
                        "test-b-explodes", "test-c-newsletter",
                        "give each route of a destination its own order (from: events:test?order=<n>)");
    }
}
