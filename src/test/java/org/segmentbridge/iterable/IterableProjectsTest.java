package org.segmentbridge.iterable;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.segmentbridge.delivery.DeliveryHarness;
import org.segmentbridge.support.TestFolders;

/** Project types decide the identifier; bulk endpoints report failures per user and per event name; delete mode. */
class IterableProjectsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static String identify(String userId, String email) {
        return "{\"type\":\"identify\"," + (userId == null ? "\"anonymousId\":\"anon-" + email + "\"" : "\"userId\":\"" + userId + "\"")
                + ",\"traits\":{\"email\":\"" + email + "\",\"plan\":\"gold\"}}";
    }

    @Test
    void userIdProjectsSendUserIdsOnlyAndRefuseEventsWithoutOne() {
        try (IterableFake fake = new IterableFake("file:routes/iterable/user-update.yaml",
                Map.of("bridge.destination.iterable.project-type", "userId"))) {
            fake.send(identify("uid-1", "one@example.com"),
                    "{\"type\":\"identify\",\"messageId\":\"no-user-id\",\"anonymousId\":\"a-2\",\"traits\":{\"email\":\"two@example.com\"}}");

            await().atMost(WAIT).until(() -> !fake.bodies("/api/users/update", "uid-1").isEmpty() && fake.deadLetters("no-user-id").size() == 1);
            assertThat(fake.bodies("/api/users/update", "uid-1").get(0)).isEqualTo(IterableFake.json(
                    "{\"userId\":\"uid-1\",\"dataFields\":{\"plan\":\"gold\"},\"mergeNestedObjects\":true}"));
            assertThat(fake.deadLetters("no-user-id").get(0).path("reason").asText())
                    .isEqualTo("iterable user-update needs a userId for this project type");
            fake.assertEveryRequestMatchesIterablesApi();
        }
    }

    @Test
    void hybridProjectsPreferTheUserIdAndFallBackToTheEmail() {
        try (IterableFake fake = new IterableFake("file:routes/iterable/user-update.yaml",
                Map.of("bridge.destination.iterable.project-type", "hybrid"))) {
            fake.send(identify("uid-h", "h1@example.com"), identify(null, "h2@example.com"));

            await().atMost(WAIT).until(() -> fake.requests("POST", "/api/users/update").size() == 2);
            assertThat(fake.bodies("/api/users/update", "uid-h").get(0).has("email")).as("never both identifiers").isFalse();
            assertThat(fake.bodies("/api/users/update", "h2@example.com").get(0)).isEqualTo(IterableFake.json(
                    "{\"email\":\"h2@example.com\",\"dataFields\":{\"plan\":\"gold\"},\"mergeNestedObjects\":true}"));
            fake.assertEveryRequestMatchesIterablesApi();
        }
    }

    @Test
    void bulkEndpointsBatchAndMapPartialFailuresToTheRightEvents() throws IOException {
        Path routes = TestFolders.create("iterable-bulk-");
        Files.writeString(routes.resolve("bulk.yaml"), (DeliveryHarness.route("bulk-users", "identify", "deliver:%1$s:user-bulk-update?mapping=iterable-user")
                + DeliveryHarness.route("bulk-events", "track", "deliver:%1$s:event-bulk")).formatted("iterable"));
        try (IterableFake fake = new IterableFake("file:" + routes + "/*.yaml", Map.of())) {
            fake.iterable.stubFor(post(urlEqualTo("/api/users/bulkUpdate")).atPriority(1).withRequestBody(containing("bad@example.com"))
                    .willReturn(okJson("{\"successCount\":2,\"failCount\":2,\"failedUpdates\":{\"invalidEmails\":[\"bad@example.com\"],"
                            + "\"forgottenEmails\":[\"erased@example.com\"]}}")));
            fake.iterable.stubFor(post(urlEqualTo("/api/events/trackBulk")).atPriority(1)
                    .willReturn(okJson("{\"successCount\":1,\"failCount\":1,\"disallowedEventNames\":[\"Blocked Event\"]}")));

            fake.send("{\"type\":\"identify\",\"messageId\":\"bulk-good\",\"userId\":\"g\",\"traits\":{\"email\":\"good@example.com\"}}",
                    "{\"type\":\"identify\",\"messageId\":\"bulk-bad\",\"userId\":\"b\",\"traits\":{\"email\":\"bad@example.com\"}}",
                    "{\"type\":\"identify\",\"messageId\":\"bulk-erased\",\"userId\":\"e\",\"traits\":{\"email\":\"erased@example.com\"}}",
                    "{\"type\":\"identify\",\"messageId\":\"bulk-fine\",\"userId\":\"f\",\"traits\":{\"email\":\"fine@example.com\"}}",
                    "{\"type\":\"track\",\"event\":\"Allowed Event\",\"messageId\":\"ev-ok\",\"userId\":\"g\",\"timestamp\":\"2026-11-22T10:05:00Z\","
                            + "\"properties\":{},\"context\":{\"traits\":{\"email\":\"good@example.com\"}}}",
                    "{\"type\":\"track\",\"event\":\"Blocked Event\",\"messageId\":\"ev-blocked\",\"userId\":\"f\",\"timestamp\":\"2026-11-22T10:05:00Z\","
                            + "\"properties\":{},\"context\":{\"traits\":{\"email\":\"fine@example.com\"}}}");

            await().atMost(WAIT).until(() -> fake.deadLetters("bulk-bad").size() == 1 && fake.deadLetters("ev-blocked").size() == 1);
            assertThat(fake.requests("POST", "/api/users/bulkUpdate")).hasSize(1);
            assertThat(fake.bodies("/api/users/bulkUpdate", "good@example.com").get(0).path("users")).hasSize(4);
            assertThat(fake.bodies("/api/events/trackBulk", "Allowed Event").get(0).path("events")).hasSize(2);
            assertThat(fake.deadLetters("bulk-bad").get(0).path("code").asText()).isEqualTo("invalidEmails");
            assertThat(fake.deadLetters("ev-blocked").get(0).path("code").asText()).isEqualTo("disallowedEventNames");
            for (String delivered : new String[] {"bulk-good", "bulk-erased", "bulk-fine", "ev-ok"}) {
                assertThat(fake.deadLetters(delivered)).as(delivered).isEmpty();
            }
            assertThat(fake.bridge.metric("bridge_delivery_items_total", Map.of("destination", "iterable", "outcome", "skipped")))
                    .as("the forgotten user is skipped, not dead-lettered").isEqualTo(1);
            fake.assertEveryRequestMatchesIterablesApi();
        }
    }

    @Test
    void deleteModeDeletesInsteadOfForgetting() {
        try (IterableFake fake = new IterableFake("file:routes/iterable/erase.yaml",
                Map.of("bridge.destination.iterable.delete-mode", "delete"))) {
            fake.send("{\"type\":\"track\",\"event\":\"User Deleted\",\"userId\":\"del-1\",\"properties\":{},"
                    + "\"context\":{\"traits\":{\"email\":\"del@example.com\"}}}");

            await().atMost(WAIT).until(() -> fake.requests("DELETE", "/api/users/del%40example.com").size() == 1);
            assertThat(fake.requests("POST", "/api/users/forget")).isEmpty();
            fake.assertEveryRequestMatchesIterablesApi();
        }
    }
}
