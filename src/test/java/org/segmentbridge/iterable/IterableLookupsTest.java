package org.segmentbridge.iterable;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A vendor lookup runs beside delivery, never in its way: while one person's request waits for Iterable to name a
 * list's id, another person's event on the same destination is delivered; the waiting request goes once the lookup
 * answered. Lookups are counted in the vendor metrics.
 */
class IterableLookupsTest {

    private static final int LOOKUP_DELAY_MS = 5000;
    private static IterableFake fake;

    @BeforeAll
    static void start() {
        fake = new IterableFake("file:routes/iterable/*.yaml", Map.of(
                "bridge.iterable.unsubscribe-message-types", "101"));
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    @Test
    void aSlowListLookupDoesNotHoldUpAnotherPersonsDelivery() {
        fake.iterable.stubFor(get(urlEqualTo("/api/lists")).willReturn(okJson(
                "{\"lists\":[{\"id\":301,\"name\":\"Newsletter\"},{\"id\":303,\"name\":\"slow_list\"}]}")
                .withFixedDelay(LOOKUP_DELAY_MS)));
        double lookupsBefore = lookups();

        // Person A enters an audience: the list subscribe needs the list's id, which Iterable takes 5 s to name.
        fake.send("{\"type\":\"track\",\"event\":\"Audience Entered\",\"messageId\":\"slow-a\",\"userId\":\"slow-a\","
                + "\"properties\":{\"audience_key\":\"slow_list\"},\"context\":{\"traits\":{\"email\":\"slow-a@example.com\"},"
                + "\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"slow_list\"}}}");
        await().atMost(Duration.ofSeconds(3)).until(() -> !fake.iterable.findAll(getRequestedFor(urlEqualTo("/api/lists"))).isEmpty());

        // Person B's event on the same destination goes while A's lookup is still unanswered.
        Instant sentB = Instant.now();
        fake.send("{\"type\":\"track\",\"event\":\"Article Read\",\"messageId\":\"quick-b\",\"userId\":\"quick-b\","
                + "\"properties\":{\"title\":\"Trails\"},\"context\":{\"traits\":{\"email\":\"quick-b@example.com\"}}}");
        await().atMost(Duration.ofMillis(1500)).until(() -> fake.bodies("/api/events/track", "quick-b").size() == 1);
        assertThat(Duration.between(sentB, Instant.now())).isLessThan(Duration.ofMillis(1500));
        assertThat(fake.bodies("/api/lists/subscribe", "slow-a@example.com")).as("A still waits for the lookup").isEmpty();

        // Once Iterable named the list, A's subscribe goes, once, after the one lookup.
        await().atMost(Duration.ofSeconds(15)).until(() -> fake.bodies("/api/lists/subscribe", "slow-a@example.com").size() == 1);
        List<LoggedRequest> listLookups = fake.requests("GET", "/api/lists");
        assertThat(listLookups).hasSize(1);
        LoggedRequest subscribe = fake.requests("POST", "/api/lists/subscribe").get(0);
        assertThat(subscribe.getLoggedDate().getTime() - listLookups.get(0).getLoggedDate().getTime())
                .as("the subscribe went after the lookup answered").isGreaterThanOrEqualTo(LOOKUP_DELAY_MS);
        assertThat(fake.bodies("/api/lists/subscribe", "slow-a@example.com").get(0)).isEqualTo(IterableFake.json("""
                {"listId":303,"subscribers":[{"email":"slow-a@example.com"}]}"""));
        fake.iterable.verify(0, postRequestedFor(urlEqualTo("/api/lists")));
        assertThat(listLookups.get(0).getHeader("Api-Key")).isEqualTo(IterableFake.API_KEY);

        // Counted as the destination's lookup: one call, answered 200.
        await().atMost(Duration.ofSeconds(5)).until(() -> lookups() == lookupsBefore + 1);
        fake.assertEveryRequestMatchesIterablesApi();
    }

    private static double lookups() {
        return fake.bridge.metric("bridge_delivery_vendor_latency_seconds_count",
                Map.of("destination", "iterable", "action", "lookup", "status", "200"));
    }
}
