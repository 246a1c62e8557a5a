package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Events that need a person's primary key wait for it: a track of an anonymous visitor is delivered with the email
 * as soon as an identify supplies it, after that identify; an alias joins two ids of one person.
 */
class IdentityResolutionTest {

    /** Tracks need the key; identifies go to the bulk list as in the standard routes. */
    static final String ROUTES = DeliveryHarness.route("tracks", "track", "identity:require-key", "deliver:%1$s:single")
            + DeliveryHarness.route("identifies", "identify", "deliver:%1$s:bulk?list=newsletter");
    private static final String EVENTS = "/keyed/events";
    private static final String MEMBERS = "/keyed/lists/newsletter/members";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() {
        harness = DeliveryHarness.start(Map.of("keyed", Map.of("api-key", DeliveryHarness.API_KEY, "rate.requests", "100",
                "batch.flush", "300ms")), null, Map.of(), ROUTES);
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

    private static double parked() {
        return harness.bridge.metric("bridge_delivery_events_parked_total", Map.of("destination", "keyed"));
    }

    @Test
    void anonymousTrackWaitsForTheIdentifyAndIsThenDeliveredWithTheKeyAfterIt() {
        String anonymous = DeliveryHarness.newId("anon");
        String track = DeliveryHarness.newId("anon-track");
        String identify = DeliveryHarness.newId("anon-identify");
        double parkedBefore = parked();

        harness.send("{\"type\":\"track\",\"event\":\"Viewed Pricing\",\"anonymousId\":\"" + anonymous + "\",\"messageId\":\"" + track + "\"}");
        await().atMost(WAIT).until(() -> parked() == parkedBefore + 1);
        assertThat(harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS)))).as("nothing sent without the key").isEmpty();

        harness.send("{\"type\":\"identify\",\"anonymousId\":\"" + anonymous + "\",\"userId\":\"user-" + anonymous + "\","
                + "\"traits\":{\"email\":\"Ann@Example.com\"},\"messageId\":\"" + identify + "\"}");

        await().atMost(WAIT).until(() -> harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS))).size() == 1);
        LoggedRequest delivered = harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS))).get(0);
        assertThat(DeliveryHarness.json(delivered.getBodyAsString())).isEqualTo(DeliveryHarness.json(
                "{\"id\":\"" + track + "\",\"user\":\"" + anonymous + "\",\"event\":\"Viewed Pricing\",\"email\":\"Ann@Example.com\"}"));
        LoggedRequest identified = harness.vendor.findAll(postRequestedFor(urlEqualTo(MEMBERS))).get(0);
        assertThat(identified.getBodyAsString()).contains(identify);
        assertThat(identified.getLoggedDate()).as("the identify goes first").isBeforeOrEqualTo(delivered.getLoggedDate());
    }

    @Test
    void aliasJoinsANewUserIdToAKnownPersonAndReleasesItsWaitingEvents() {
        String oldUser = DeliveryHarness.newId("old-user");
        String newUser = DeliveryHarness.newId("new-user");
        String track = DeliveryHarness.newId("alias-track");
        harness.send("{\"type\":\"identify\",\"userId\":\"" + oldUser + "\",\"traits\":{\"email\":\"bo@example.com\"}}");
        double parkedBefore = parked();
        harness.send("{\"type\":\"track\",\"event\":\"Logged In\",\"userId\":\"" + newUser + "\",\"messageId\":\"" + track + "\"}");
        await().atMost(WAIT).until(() -> parked() == parkedBefore + 1);

        harness.send("{\"type\":\"alias\",\"previousId\":\"" + oldUser + "\",\"userId\":\"" + newUser + "\"}");

        await().atMost(WAIT).until(() -> harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS))).size() == 1);
        assertThat(DeliveryHarness.json(harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS))).get(0).getBodyAsString()))
                .isEqualTo(DeliveryHarness.json("{\"id\":\"" + track + "\",\"user\":\"" + newUser + "\",\"event\":\"Logged In\","
                        + "\"email\":\"bo@example.com\"}"));
    }

    @Test
    void trackOfAKnownPersonGetsTheKeyAtOnce() {
        String user = DeliveryHarness.newId("known");
        String track = DeliveryHarness.newId("known-track");
        harness.send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"cy@example.com\"}}",
                "{\"type\":\"track\",\"event\":\"Paid\",\"userId\":\"" + user + "\",\"messageId\":\"" + track + "\"}");

        await().atMost(WAIT).until(() -> harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS))).size() == 1);
        List<LoggedRequest> sent = harness.vendor.findAll(postRequestedFor(urlEqualTo(EVENTS)));
        assertThat(DeliveryHarness.json(sent.get(0).getBodyAsString()).path("email").asText()).isEqualTo("cy@example.com");
    }

    @Test
    void eventsThatWaitPastTheTtlAreDeadLetteredWithTheReason() {
        try (DeliveryHarness shortWait = DeliveryHarness.start(Map.of("keyed", Map.of("api-key", DeliveryHarness.API_KEY)), null,
                Map.of("bridge.identity.pending.ttl", "1s", "bridge.identity.pending.check-every", "500ms"), ROUTES)) {
            String track = DeliveryHarness.newId("expiring");

            shortWait.send("{\"type\":\"track\",\"event\":\"Left\",\"anonymousId\":\"never-identified\",\"messageId\":\"" + track + "\"}");

            await().atMost(WAIT).until(() -> shortWait.deadLetters("keyed", track).size() == 1);
            var letter = shortWait.deadLetters("keyed", track).get(0);
            assertThat(letter.path("code").asText()).isEqualTo("identity_timeout");
            assertThat(letter.path("action").asText()).isEqualTo("identity");
            assertThat(letter.path("reason").asText())
                    .isEqualTo("waited 1 second(s) (bridge.identity.pending.ttl) for the person's primary key, and no event supplied it");
            assertThat(shortWait.vendor.getAllServeEvents()).isEmpty();
        }
    }
}
