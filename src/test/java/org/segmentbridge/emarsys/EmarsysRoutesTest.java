package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shipped Emarsys routes and mappings, end to end against a fake Emarsys, with exact requests. */
class EmarsysRoutesTest {

    private static final String UPSERT = "/api/v2/contact/?create_if_not_exists=1";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static EmarsysFake fake;

    @BeforeAll
    static void start() {
        fake = new EmarsysFake(Map.of());
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    @BeforeEach
    void freshAccount() {
        fake.accountDefaults();
    }

    private static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String identify(String messageId, String userId, String traits) {
        return "{\"type\":\"identify\",\"messageId\":\"" + messageId + "\",\"userId\":\"" + userId + "\",\"traits\":" + traits + "}";
    }

    private static String track(String messageId, String userId, String email, String event, String properties) {
        return "{\"type\":\"track\",\"event\":\"" + event + "\",\"messageId\":\"" + messageId + "\",\"userId\":\"" + userId + "\","
                + "\"timestamp\":\"2026-11-22T10:05:00.000Z\",\"properties\":" + properties
                + ",\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}";
    }

    private static List<JsonNode> upsertsCarrying(String text) {
        return fake.bodies("PUT", UPSERT).stream().filter(body -> body.toString().contains(text)).toList();
    }

    @Test
    void identifyUpsertsTheContactWithMappedSystemFieldsSignedWithWsse() {
        String email = id("ann") + "@example.com";
        fake.send(identify(id("m"), id("u"), "{\"email\":\"  " + email.toUpperCase() + " \",\"firstName\":\"Ann\",\"lastName\":\"Lee\","
                + "\"birthday\":\"1990-04-12T00:00:00Z\",\"phone\":\"+44 20 7946 0958\",\"address\":{\"city\":\"London\",\"postalCode\":\"EC1A 1BB\"},"
                + "\"newsletter\":true}"));

        await().atMost(WAIT).until(() -> !upsertsCarrying(email).isEmpty());
        assertThat(upsertsCarrying(email)).containsExactly(EmarsysFake.json("""
                {"key_id":"3","contacts":[{"3":"%s","1":"Ann","2":"Lee","4":"1990-04-12","11":"London","13":"EC1A 1BB",
                 "15":"+44 20 7946 0958"}]}""".formatted(email)));
        assertThat(fake.requests("PUT", UPSERT).get(0).getHeader("Content-Type")).isEqualTo("application/json");
        fake.assertEveryRequestIsWsseSigned();
    }

    @Test
    void identifiesOfSeveralPeopleGoInOneBatchAndAPerItemErrorDeadLettersOnlyThatEvent() {
        String good = id("good") + "@example.com";
        String duplicate = id("dup") + "@example.com";
        String other = id("other") + "@example.com";
        String badMessage = id("bad-message");
        EmarsysFake.answer(fake.emarsys, put(urlEqualTo(UPSERT)).withRequestBody(containing(duplicate)), 200,
                "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"ids\":[1,2],\"errors\":{\"" + duplicate
                        + "\":{\"2010\":\"More contacts found with the external ID: 3 - " + duplicate + "\"}}}}");

        fake.send(identify(id("m"), id("u"), "{\"email\":\"" + good + "\"}"),
                identify(badMessage, id("u"), "{\"email\":\"" + duplicate + "\"}"),
                identify(id("m"), id("u"), "{\"email\":\"" + other + "\"}"));

        await().atMost(WAIT).until(() -> fake.deadLetters(badMessage).size() == 1);
        assertThat(fake.bodies("PUT", UPSERT)).containsExactly(EmarsysFake.json("""
                {"key_id":"3","contacts":[{"3":"%s"},{"3":"%s"},{"3":"%s"}]}""".formatted(good, duplicate, other)));
        JsonNode letter = fake.deadLetters(badMessage).get(0);
        assertThat(letter.path("code").asText()).isEqualTo("2010");
        assertThat(letter.path("reason").asText()).startsWith("More contacts found with the external ID");
        assertThat(letter.path("action").asText()).isEqualTo("contact-upsert");
    }

    @Test
    void batchEmarsysFindsTooLargeIsSplitUntilItIsTaken() {
        String a = id("split-a") + "@example.com";
        String b = id("split-b") + "@example.com";
        String c = id("split-c") + "@example.com";
        // Emarsys refuses any request carrying all three as too large (replyCode 1000); smaller ones go through.
        fake.emarsys.stubFor(put(urlEqualTo(UPSERT)).atPriority(1)
                .withRequestBody(containing(a)).withRequestBody(containing(b)).withRequestBody(containing(c))
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"replyCode\":1000,\"replyText\":\"The request exceeded the maximum batch size 1,000\"}")));

        fake.send(identify(id("m"), id("u"), "{\"email\":\"" + a + "\"}"), identify(id("m"), id("u"), "{\"email\":\"" + b + "\"}"),
                identify(id("m"), id("u"), "{\"email\":\"" + c + "\"}"));

        await().atMost(WAIT).until(() -> fake.bodies("PUT", UPSERT).size() == 3);
        assertThat(fake.bodies("PUT", UPSERT)).containsExactlyInAnyOrder(
                EmarsysFake.json("{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + a + "\"},{\"3\":\"" + b + "\"},{\"3\":\"" + c + "\"}]}"),
                EmarsysFake.json("{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + a + "\"}]}"),
                EmarsysFake.json("{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + b + "\"},{\"3\":\"" + c + "\"}]}"));
    }

    @Test
    void rateLimitedAnswerIsRetriedAfterTheResetEmarsysAnnounces() {
        String email = id("paced") + "@example.com";
        long reset = java.time.Instant.now().getEpochSecond() + 2;
        fake.emarsys.stubFor(put(urlEqualTo(UPSERT)).atPriority(1).withRequestBody(containing(email)).inScenario("limit")
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("open")
                .willReturn(aResponse().withStatus(429).withHeader("X-RateLimit-Limit", "1000")
                        .withHeader("X-Ratelimit-Remaining", "0").withHeader("X-RateLimit-Reset", Long.toString(reset))
                        .withBody("{\"replyCode\":429,\"replyText\":\"Too many requests\"}")));

        fake.send(identify(id("m"), id("u"), "{\"email\":\"" + email + "\"}"));

        await().atMost(WAIT).until(() -> upsertsCarrying(email).size() == 2);
        var attempts = fake.requests("PUT", UPSERT).stream().filter(r -> r.getBodyAsString().contains(email)).toList();
        assertThat(attempts.get(1).getLoggedDate().getTime()).as("retried no sooner than the announced reset")
                .isGreaterThanOrEqualTo(reset * 1000 - 50);
    }

    @Test
    void tracksFollowTheRuleTableAndOthersAreNotSent() {
        String email = id("rules") + "@example.com";
        String signedUp = id("signed-up");
        String cheap = id("cheap-view");
        String premium = id("premium-view");
        String unknown = id("unknown");

        fake.send(track(signedUp, "u-rules", email, "Signed Up", "{\"plan\":\"Gold Plan\",\"referrer\":{\"source\":\"ads\"}}"),
                track(cheap, "u-rules", email, "Product Viewed", "{\"price\":50}"),
                track(premium, "u-rules", email, "Product Viewed", "{\"price\":150,\"name\":\"Trail Shoe\"}"),
                track(unknown, "u-rules", email, "Video Played", "{}"));

        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/503/trigger").size() == 1);
        assertThat(fake.bodies("POST", "/api/v2/event/501/trigger")).containsExactly(EmarsysFake.json("""
                {"key_id":"3","external_id":"%s","trigger_id":"%s","event_time":"2026-11-22T10:05:00Z",
                 "data":{"global":{"plan":"Gold Plan","referrer_source":"ads"}}}""".formatted(email, signedUp)));
        assertThat(fake.bodies("POST", "/api/v2/event/503/trigger")).containsExactly(EmarsysFake.json("""
                {"key_id":"3","external_id":"%s","trigger_id":"%s","event_time":"2026-11-22T10:05:00Z",
                 "data":{"global":{"price":150,"name":"Trail Shoe"}}}""".formatted(email, premium)));
        String everything = fake.emarsys.getAllServeEvents().toString();
        assertThat(everything).doesNotContain(cheap).doesNotContain(unknown);
    }

    @Test
    void triggersOfSeveralPeopleForOneEventGoInOneBatchRequest() {
        String first = id("batch-a") + "@example.com";
        String second = id("batch-b") + "@example.com";
        String firstId = id("m");
        String secondId = id("m");

        fake.send(track(firstId, id("u"), first, "Checkout Started", "{}"), track(secondId, id("u"), second, "Checkout Started", "{}"));

        await().atMost(WAIT).until(() -> !fake.requests("POST", "/api/v2/event/502/trigger").isEmpty());
        assertThat(fake.bodies("POST", "/api/v2/event/502/trigger")).containsExactly(EmarsysFake.json("""
                {"key_id":"3","contacts":[
                  {"external_id":"%s","trigger_id":"%s","event_time":"2026-11-22T10:05:00Z"},
                  {"external_id":"%s","trigger_id":"%s","event_time":"2026-11-22T10:05:00Z"}]}""".formatted(first, firstId, second, secondId)));
    }

    @Test
    void engageAudiencesAddAndRemoveListMembersInBothForms() {
        String email = id("aud") + "@example.com";
        String user = id("u");
        String personas = "\"context\":{\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"first_time_shopper\"}}";

        fake.send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + email + "\",\"first_time_shopper\":true},"
                + personas + "}");
        await().atMost(WAIT).until(() -> !fake.requests("POST", "/api/v2/contactlist/702/add").isEmpty());
        fake.send("{\"type\":\"track\",\"event\":\"Audience Exited\",\"userId\":\"" + user + "\",\"properties\":{\"audience_key\":"
                + "\"first_time_shopper\",\"first_time_shopper\":false}," + personas.replace("}}", "},\"traits\":{\"email\":\"" + email + "\"}}") + "}");

        await().atMost(WAIT).until(() -> !fake.requests("POST", "/api/v2/contactlist/702/delete").isEmpty());
        assertThat(fake.bodies("POST", "/api/v2/contactlist/702/add"))
                .containsExactly(EmarsysFake.json("{\"key_id\":\"3\",\"external_ids\":[\"" + email + "\"]}"));
        assertThat(fake.bodies("POST", "/api/v2/contactlist/702/delete"))
                .containsExactly(EmarsysFake.json("{\"key_id\":\"3\",\"external_ids\":[\"" + email + "\"]}"));
    }

    @Test
    void optOutSetsField31AndOnlyAnExplicitConsentOptsBackIn() {
        String email = id("consent") + "@example.com";
        String user = id("u");

        fake.send(identify(id("m"), user, "{\"email\":\"" + email + "\",\"unsubscribed\":true}"));
        await().atMost(WAIT).until(() -> upsertsCarrying("\"31\"").stream().anyMatch(body -> body.toString().contains(email)));
        fake.send(identify(id("m"), user, "{\"email\":\"" + email + "\",\"newsletter\":true,\"email_opt_in\":true}"));
        await().atMost(WAIT).until(() -> upsertsCarrying(email).size() == 3);
        // Stamped now: a re-subscription older than the opt-out it would lift does not lift it.
        fake.send(track(id("m"), user, email, "Subscribed", "{}").replace("2026-11-22T10:05:00.000Z", java.time.Instant.now().toString()));

        await().atMost(WAIT).until(() -> upsertsCarrying(email).stream().filter(body -> body.toString().contains("\"31\"")).count() == 2);
        List<JsonNode> consent = upsertsCarrying(email).stream().filter(body -> body.toString().contains("\"31\"")).toList();
        assertThat(consent).containsExactly(
                EmarsysFake.json("{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + email + "\",\"31\":\"2\"}]}"),
                EmarsysFake.json("{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + email + "\",\"31\":\"1\"}]}"));
    }

    @Test
    void vipCrossingMarksListsAndTriggersOncePerCrossing() {
        String email = id("vip") + "@example.com";
        String user = id("u");
        java.util.function.IntFunction<String> ltv = value ->
                identify(id("m"), user, "{\"email\":\"" + email + "\",\"lifetime_value\":" + value + "}");

        fake.send(ltv.apply(1500));
        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/505/trigger").size() == 1);
        fake.send(ltv.apply(1600), ltv.apply(400));
        await().atMost(WAIT).until(() -> upsertsCarrying(email).size() == 4);
        assertThat(fake.requests("POST", "/api/v2/event/505/trigger")).as("no second VIP trigger while above").hasSize(1);
        fake.send(ltv.apply(1200));

        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/505/trigger").size() == 2);
        assertThat(upsertsCarrying("\"8003\"")).hasSize(2).allSatisfy(body ->
                assertThat(body).isEqualTo(EmarsysFake.json("{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + email + "\",\"8003\":\"1\"}]}")));
        assertThat(fake.bodies("POST", "/api/v2/contactlist/701/add")).hasSize(2)
                .allSatisfy(body -> assertThat(body).isEqualTo(EmarsysFake.json("{\"key_id\":\"3\",\"external_ids\":[\"" + email + "\"]}")));
        assertThat(fake.bodies("POST", "/api/v2/event/505/trigger").get(0).path("data"))
                .isEqualTo(EmarsysFake.json("{\"global\":{\"lifetime_value\":1500}}"));
    }

    @Test
    void orderCompletedUpdatesOrderFactsByFieldNameAndTriggersWithProducts() {
        String email = id("order") + "@example.com";
        String order = id("order-msg");

        fake.send(track(order, id("u"), email, "Order Completed", """
                {"order_id":"ORD-1","total":251.5,"shipping":4.99,"tax":17.51,"discount":10,"currency":"GBP",
                 "products":[{"sku":"TRS-42","name":"Trail Shoe","price":119,"quantity":1}]}"""));

        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/504/trigger").size() == 1);
        await().atMost(WAIT).until(() -> !upsertsCarrying(email).isEmpty());
        assertThat(upsertsCarrying(email)).containsExactly(EmarsysFake.json(
                "{\"key_id\":\"3\",\"contacts\":[{\"3\":\"" + email + "\",\"8001\":\"2026-11-22\",\"8002\":251.5}]}"));
        assertThat(fake.bodies("POST", "/api/v2/event/504/trigger")).containsExactly(EmarsysFake.json("""
                {"key_id":"3","external_id":"%s","trigger_id":"%s","event_time":"2026-11-22T10:05:00Z",
                 "data":{"global":{"order_id":"ORD-1","total":251.5,"shipping":4.99,"tax":17.51,"discount":10,"currency":"GBP"},
                         "products":[{"sku":"TRS-42","name":"Trail Shoe","price":119,"quantity":1}]}}""".formatted(email, order)));
    }

    @Test
    void segmentDeleteNotificationAndUserDeletedTrackDeleteTheContact() throws Exception {
        String deletedByWebhook = id("erase-a") + "@example.com";
        String deletedByTrack = id("erase-b") + "@example.com";
        String webhookUser = id("u");
        fake.send(identify(id("m"), webhookUser, "{\"email\":\"" + deletedByWebhook + "\"}"));
        await().atMost(WAIT).until(() -> !upsertsCarrying(deletedByWebhook).isEmpty());

        String notice = "{\"type\":\"delete\",\"userId\":\"" + webhookUser + "\",\"timestamp\":\"2026-11-22T12:30:08.276Z\"}";
        String signature = org.segmentbridge.support.Signed.segmentSignature(notice, EmarsysFake.WEBHOOK_SECRET);
        assertThat(fake.bridge.post("/webhooks/segment", notice, "Content-Type", "application/json", "X-Signature", signature)
                .statusCode()).isEqualTo(200);
        fake.send(track(id("m"), id("u"), deletedByTrack, "User Deleted", "{}"));

        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/contact/delete").size() >= 2
                || fake.bodies("POST", "/api/v2/contact/delete").stream().mapToInt(b -> b.path("3").size()).sum() == 2);
        assertThat(fake.bodies("POST", "/api/v2/contact/delete").stream().flatMap(body -> {
            assertThat(body.path("key_id").asText()).isEqualTo("3");
            return java.util.stream.StreamSupport.stream(body.path("3").spliterator(), false).map(JsonNode::asText);
        }).toList()).containsExactlyInAnyOrder(deletedByWebhook, deletedByTrack);
    }

}
