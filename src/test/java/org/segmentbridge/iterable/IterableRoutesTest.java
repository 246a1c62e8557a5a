package org.segmentbridge.iterable;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shipped Iterable routes for an email-based project, against a fake Iterable; every request checked against its API description. */
class IterableRoutesTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static IterableFake fake;

    @BeforeAll
    static void start() {
        fake = new IterableFake("file:routes/iterable/*.yaml", Map.of(
                "bridge.iterable.unsubscribe-message-types", "101,102"));
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    @BeforeEach
    void fresh() {
        fake.acceptEverything();
    }

    private static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String track(String messageId, String email, String event, String properties) {
        return "{\"type\":\"track\",\"event\":\"" + event + "\",\"messageId\":\"" + messageId + "\",\"userId\":\"u-" + messageId + "\","
                + "\"timestamp\":\"2026-11-22T10:05:00.000Z\",\"properties\":" + properties
                + ",\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}";
    }

    @Test
    void identifyUpdatesTheUserWithIterableDatesAndStartsOnboardingOnce() {
        String email = id("ann") + "@example.com";
        String user = id("user");
        String identify = "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"timestamp\":\"2026-11-22T10:00:00.000Z\",\"traits\":{"
                + "\"email\":\"" + email + "\",\"firstName\":\"Ann\",\"plan\":\"gold\",\"createdAt\":\"2025-02-01T10:30:00.000+02:00\","
                + "\"birthday\":\"1990-04-12\",\"code\":\"1234\",\"address\":{\"movedIn\":\"2024-01-05T08:00:00Z\"}}}";

        fake.send(identify);
        await().atMost(WAIT).until(() -> fake.bodies("/api/events/track", "onboardingStarted").size() == 1);
        fake.send(identify.replace("gold", "platinum"));
        await().atMost(WAIT).until(() -> fake.bodies("/api/users/update", email).size() == 2);

        assertThat(fake.bodies("/api/users/update", email).get(0)).isEqualTo(IterableFake.json("""
                {"email":"%s","dataFields":{"firstName":"Ann","plan":"gold","createdAt":"2025-02-01 08:30:00 +00:00",
                 "birthday":"1990-04-12","code":"1234","address":{"movedIn":"2024-01-05 08:00:00 +00:00"}},
                 "mergeNestedObjects":true}""".formatted(email)));
        JsonNode onboarding = fake.bodies("/api/events/track", "onboardingStarted").get(0);
        assertThat(onboarding.path("dataFields")).isEqualTo(IterableFake.json(
                "{\"firstName\":\"Ann\",\"plan\":\"gold\",\"signupDate\":\"2025-02-01 08:30:00 +00:00\"}"));
        assertThat(fake.bodies("/api/events/track", "onboardingStarted")).as("onboarding fires once").hasSize(1);
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void aKnownPersonsNewEmailRenamesTheIterableUserBeforeUpdatingIt() {
        String user = id("mover");
        String before = id("old") + "@example.com";
        String after = id("new") + "@example.com";

        fake.send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + before + "\"}}");
        await().atMost(WAIT).until(() -> fake.bodies("/api/users/update", before).size() == 1);
        fake.send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + after + "\"}}",
                "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + after + "\",\"plan\":\"x\"}}");

        await().atMost(WAIT).until(() -> fake.bodies("/api/users/update", after).size() == 2);
        assertThat(fake.bodies("/api/users/updateEmail", after)).containsExactly(IterableFake.json(
                "{\"currentEmail\":\"" + before + "\",\"newEmail\":\"" + after + "\"}"));
        long renamedAt = fake.requests("POST", "/api/users/updateEmail").get(0).getLoggedDate().getTime();
        long updatedAt = fake.requests("POST", "/api/users/update").stream().filter(r -> r.getBodyAsString().contains(after))
                .findFirst().orElseThrow().getLoggedDate().getTime();
        assertThat(renamedAt).as("renamed before the update under the new email").isLessThanOrEqualTo(updatedAt);
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void trackIsACustomEventWithIdAndUnixCreatedAt() {
        String email = id("ev") + "@example.com";
        String messageId = id("m");

        fake.send(track(messageId, email, "Article Read", "{\"title\":\"Trails\",\"readAt\":\"2026-11-22T09:00:00Z\"}"),
                track(id("m"), email, "Application Backgrounded", "{}"));

        await().atMost(WAIT).until(() -> fake.bodies("/api/events/track", messageId).size() == 1);
        assertThat(fake.bodies("/api/events/track", messageId).get(0)).isEqualTo(IterableFake.json("""
                {"eventName":"Article Read","email":"%s","id":"%s","createdAt":1795341900,
                 "dataFields":{"title":"Trails","readAt":"2026-11-22 09:00:00 +00:00"}}""".formatted(email, messageId)));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> fake.bodies("/api/events/track", "Application Backgrounded").isEmpty());
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void orderCompletedIsATrackPurchaseAndCartEventsUpdateTheCart() {
        String email = id("buyer") + "@example.com";

        fake.send(track(id("m"), email, "Order Completed", """
                {"order_id":"ORD-1","total":251.5,"products":[
                  {"product_id":"p-1","sku":"SKU-1","name":"Shoe","price":119.99,"quantity":1,"category":"Shoes",
                   "url":"https://shop.example.com/shoe","image_url":"https://cdn.example.com/shoe.jpg","color":"blue"}]}"""),
                track(id("m"), email, "Product Added", "{\"product_id\":\"p-2\",\"name\":\"Sock\",\"price\":9.5,\"quantity\":2}"));

        await().atMost(WAIT).until(() -> fake.bodies("/api/commerce/trackPurchase", email).size() == 1
                && fake.bodies("/api/commerce/updateCart", email).size() == 1);
        assertThat(fake.bodies("/api/commerce/trackPurchase", email).get(0)).isEqualTo(IterableFake.json("""
                {"id":"ORD-1","user":{"email":"%s"},"items":[{"id":"p-1","name":"Shoe","price":119.99,"quantity":1,"sku":"SKU-1",
                  "categories":["Shoes"],"imageUrl":"https://cdn.example.com/shoe.jpg","url":"https://shop.example.com/shoe",
                  "dataFields":{"color":"blue"}}],"total":251.5,"createdAt":1795341900}""".formatted(email)));
        assertThat(fake.bodies("/api/commerce/updateCart", email).get(0)).isEqualTo(IterableFake.json("""
                {"user":{"email":"%s"},"items":[{"id":"p-2","name":"Sock","price":9.5,"quantity":2}]}""".formatted(email)));
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void audiencesSubscribeToAListCreatedOnceEvenWhenManyEnterAtOnce() {
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"event\":\"Audience Entered\",\"userId\":\"aud-" + i + "\","
                    + "\"properties\":{\"audience_key\":\"vip_candidates\"},\"context\":{\"traits\":{\"email\":\"a" + i
                    + "@example.com\"},\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"vip_candidates\"}}}");
        }
        fake.send(batch.toString());

        await().atMost(WAIT).until(() -> fake.bodies("/api/lists/subscribe", "302").stream()
                .mapToInt(body -> body.path("subscribers").size()).sum() == 5);
        fake.iterable.verify(1, postRequestedFor(urlEqualTo("/api/lists")).withRequestBody(equalToJson("{\"name\":\"vip_candidates\"}")));
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void optOutUnsubscribesFromTheConfiguredMessageTypesOnlyAndNeverAWholeChannel() {
        String email = id("optout") + "@example.com";

        fake.send("{\"type\":\"identify\",\"userId\":\"" + id("u") + "\",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":true}}");

        await().atMost(WAIT).until(() -> fake.requests("DELETE", "/api/subscriptions/messageType/102/user/" + email.replace("@", "%40")).size() == 1);
        assertThat(fake.requests("DELETE", "/api/subscriptions/messageType/101/user/" + email.replace("@", "%40"))).hasSize(1);
        assertThat(fake.iterable.getAllServeEvents().toString()).doesNotContain("messageChannel").doesNotContain("channelUnsubscribe");
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void anExplicitResubscriptionSubscribesToTheSameMessageTypesAgain() {
        String email = id("resubscribe") + "@example.com";
        java.util.function.Function<String, String> path = type -> "/api/subscriptions/messageType/" + type + "/user/"
                + email.replace("@", "%40");

        fake.send(track(id("out"), email, "Unsubscribed", "{}"));
        await().atMost(WAIT).until(() -> fake.requests("DELETE", path.apply("102")).size() == 1);
        fake.send("{\"type\":\"identify\",\"userId\":\"" + id("u") + "\",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":false}}",
                track(id("in"), email, "Subscribed", "{}"));

        await().atMost(WAIT).until(() -> fake.requests("PATCH", path.apply("101")).size() == 1
                && fake.requests("PATCH", path.apply("102")).size() == 1);
        assertThat(fake.requests("PATCH", path.apply("101")).get(0).getBodyAsString()).isEmpty();
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void deletionForgetsTheUserAndChurnFiresOncePerCrossing() {
        String email = id("gone") + "@example.com";
        String churner = id("churn") + "@example.com";
        // Each identify's messageId names its value: the re-engagement event's id is the messageId of the one that fired.
        java.util.function.IntFunction<String> days = value -> "{\"type\":\"identify\",\"messageId\":\"" + churner + "-" + value
                + "\",\"userId\":\"churner\",\"traits\":{\"email\":\"" + churner + "\",\"days_since_last_order\":" + value + "}}";
        java.util.function.Supplier<java.util.List<String>> fired = () -> fake.bodies("/api/events/track", "reengagementNeeded")
                .stream().filter(body -> body.path("email").asText().equals(churner)).map(body -> body.path("id").asText()).toList();

        fake.send(track(id("m"), email, "User Deleted", "{}"), days.apply(75), days.apply(80));
        // Matched by field, not by text: "80" also turns up inside the random ids and in the 75's body with them.
        await().atMost(WAIT).until(() -> fake.bodies("/api/users/forget", email).size() == 1
                && fake.bodies("/api/users/update", churner).stream()
                        .anyMatch(body -> body.path("dataFields").path("days_since_last_order").asInt() == 80));
        fake.send(days.apply(10), days.apply(65));

        // The person's items go in order, so once the last crossing's event is there every earlier one is too.
        await().atMost(WAIT).until(() -> fired.get().contains(churner + "-65"));
        assertThat(fired.get()).as("once on crossing at 75, not again at 80 (still above), again at 65 after 10")
                .containsExactly(churner + "-75", churner + "-65");
        assertThat(fake.bodies("/api/users/forget", email).get(0)).isEqualTo(IterableFake.json("{\"email\":\"" + email + "\"}"));
        fake.assertEveryRequestMatchesIterablesApi();
    }

    @Test
    void aFailureCodeInsideTheAnswerDeadLettersAndAForgottenUserIsSkipped() {
        String rejected = id("bad") + "@example.com";
        String forgotten = id("forgotten") + "@example.com";
        String rejectedMessage = id("m");
        String forgottenMessage = id("m");
        fake.iterable.stubFor(post(urlEqualTo("/api/events/track")).atPriority(1).withRequestBody(containing(rejected))
                .willReturn(okJson("{\"msg\":\"Request fields types mismatched\",\"code\":\"RequestFieldsTypesMismatched\",\"params\":{}}")
                        .withStatus(400)));
        fake.iterable.stubFor(post(urlEqualTo("/api/events/track")).atPriority(1).withRequestBody(containing(forgotten))
                .willReturn(okJson("{\"msg\":\"User was forgotten\",\"code\":\"ForgottenUserError\",\"params\":{}}").withStatus(400)));
        double skipped = fake.bridge.metric("bridge_delivery_items_total", Map.of("destination", "iterable", "outcome", "skipped"));

        fake.send(track(rejectedMessage, rejected, "Article Read", "{}"), track(forgottenMessage, forgotten, "Article Read", "{}"));

        await().atMost(WAIT).until(() -> fake.deadLetters(rejectedMessage).size() == 1);
        assertThat(fake.deadLetters(rejectedMessage).get(0).path("code").asText()).isEqualTo("RequestFieldsTypesMismatched");
        await().atMost(WAIT).until(() -> fake.bridge.metric("bridge_delivery_items_total",
                Map.of("destination", "iterable", "outcome", "skipped")) == skipped + 1);
        assertThat(fake.deadLetters(forgottenMessage)).isEmpty();
    }
}
