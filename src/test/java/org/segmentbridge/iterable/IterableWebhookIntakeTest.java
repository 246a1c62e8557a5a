package org.segmentbridge.iterable;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.component.platform.http.DefaultPlatformHttpConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.support.RunningBridge;

/** Iterable's system webhooks to /webhooks/iterable: JSON, a static token, stored as Segment events for Segment. */
class IterableWebhookIntakeTest {

    private static final String TOKEN = "iterable-webhook-test-token";
    private static final String WRITE_KEY = "iterable-webhook-test-write-key";
    private static final List<String> OTHER_DESTINATIONS = List.of("emarsys", "sailthru", "iterable");
    private static final String CREATED_AT = "2016-12-02 18:51:45 +00:00";
    private static final String CREATED_AT_ISO = "2016-12-02T18:51:45Z";
    /** The fields Iterable sends on every email webhook, and the properties they become. */
    private static final String CAMPAIGN_FIELDS = "\"campaignId\":59667,\"campaignName\":\"Black Friday\",\"templateId\":93849,"
            + "\"templateName\":\"Black Friday template\",\"emailSubject\":\"Deals inside\",\"workflowId\":60102,"
            + "\"workflowName\":\"Welcome\",\"channelId\":3420,\"messageTypeId\":3866,\"locale\":null";
    private static final String CAMPAIGN_PROPERTIES = "\"campaign_id\":59667,\"campaign_name\":\"Black Friday\",\"template_id\":93849,"
            + "\"template_name\":\"Black Friday template\",\"email_subject\":\"Deals inside\"";

    private static RunningBridge bridge;

    @BeforeAll
    static void startBridge() {
        bridge = startWith(Map.of("bridge.iterable.webhook-token", TOKEN, "bridge.write-keys", WRITE_KEY));
    }

    /** Webhooks are intake only: delivery to Iterable is not under test here, so the destination stays off. */
    private static RunningBridge startWith(Map<String, String> settings) {
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("bridge.destination.iterable.enabled", "false");
        return RunningBridge.start(all);
    }

    @AfterAll
    static void stopBridge() {
        bridge.close();
    }

    // ---- the webhook as Iterable would post it ------------------------------------------------------------------

    private static String webhook(String eventName, String email, String dataFields) {
        return "{\"email\":\"" + email + "\",\"eventName\":\"" + eventName + "\",\"dataFields\":{" + dataFields + "}}";
    }

    /** dataFields of one send: its messageId, emailId and time, the campaign fields, then {@code more}. */
    private static String sendFields(String email, String messageId, String more) {
        return "\"messageId\":\"" + messageId + "\",\"emailId\":\"c59667:t93849:" + email + "\",\"createdAt\":\"" + CREATED_AT
                + "\",\"email\":\"" + email + "\"," + CAMPAIGN_FIELDS + (more.isEmpty() ? "" : "," + more);
    }

    private static HttpResponse<String> post(RunningBridge target, String body, String authorization) {
        return target.post("/webhooks/iterable", body, "Content-Type", "application/json", "Authorization", authorization);
    }

    private static HttpResponse<String> post(String body) {
        return post(bridge, body, "Bearer " + TOKEN);
    }

    private static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String newEmail(String who) {
        return who + "." + UUID.randomUUID() + "@example.com";
    }


    private static List<JsonNode> storedFor(String email) {
        return bridge.queuedWithEmail("segment", email).stream().map(RunningBridge.QueuedEvent::body).toList();
    }

    private static JsonNode withoutReceivedAt(JsonNode stored) {
        ObjectNode copy = stored.deepCopy();
        assertThat(copy.remove("receivedAt").asText()).endsWith("Z");
        ((ObjectNode) copy.path("context")).remove("bridge");
        return copy;
    }

    private static JsonNode json(String text) throws Exception {
        return RunningBridge.JSON.readTree(text);
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Written here apart from the bridge's code: what makes an event's messageId, so a resend is stored once. */
    private static String expectedMessageId(String eventName, String email, String iterableMessageId, String kind) throws Exception {
        return "iterable-" + sha256(eventName + "|" + email + "|" + iterableMessageId + "|" + CREATED_AT + "|" + kind);
    }

    private static String anonymous(String email) throws Exception {
        return "\"anonymousId\":\"email:" + sha256(email.toLowerCase(Locale.ROOT)) + "\"";
    }

    /** The fields every webhook event has, around its own. */
    private static String common(String email, String identity, String messageId) {
        return identity + ",\"messageId\":\"" + messageId + "\",\"timestamp\":\"" + CREATED_AT_ISO + "\","
                + "\"context\":{\"traits\":{\"email\":\"" + email + "\"},\"integration\":{\"name\":\"iterable\"}},"
                + "\"integrations\":{\"All\":true,\"Iterable\":false}";
    }

    private static void assertOnlyOnTheSegmentQueue(String email) {
        assertThat(bridge.queuedWithEmail("segment", email)).isNotEmpty().allSatisfy(event -> {
            assertThat(event.properties()).containsEntry("receivedVia", "iterable-webhook");
        });
        for (String other : OTHER_DESTINATIONS) {
            assertThat(bridge.queuedWithEmail(other, email)).as(other).isEmpty();
        }
    }

    /** A consent change goes to every platform; the integrations flag keeps it from going back to Iterable. */
    private static void assertOnEveryQueue(String email) {
        int stored = bridge.queuedWithEmail("segment", email).size();
        assertThat(stored).isPositive();
        for (String other : OTHER_DESTINATIONS) {
            assertThat(bridge.queuedWithEmail(other, email)).as(other).hasSize(stored);
        }
    }

    // ---- each webhook type --------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = ';', value = {
            "emailSend; Email Delivered; ; ",
            "emailOpen; Email Opened; \"userAgent\":\"Mozilla/5.0\",\"ip\":\"203.0.113.9\",\"proxySource\":\"Gmail\"; ",
            "emailClick; Email Link Clicked; \"url\":\"https://shop.example.com/deals\",\"linkUrl\":\"https://shop.example.com/deals?utm\",\"linkId\":\"l-42\",\"city\":\"Berlin\"; "
                    + "\"link_url\":\"https://shop.example.com/deals\",\"link_id\":\"l-42\"",
            "emailBounce; Email Bounced; \"recipientState\":\"HardBounce\"; \"bounce_type\":\"HardBounce\"",
            "emailComplaint; Email Marked as Spam; \"recipientState\":\"Complaint\"; ",
    })
    void engagementWebhookIsOneTrackForSegmentOnly(String eventName, String segmentEvent, String extraFields, String extraProperties)
            throws Exception {
        String email = newEmail(eventName);
        String messageId = "msg-" + UUID.randomUUID();

        HttpResponse<String> response = post(webhook(eventName, email, sendFields(email, messageId, extraFields == null ? "" : extraFields)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"success\":true}");
        assertThat(storedFor(email)).singleElement().satisfies(stored -> assertThat(withoutReceivedAt(stored)).isEqualTo(json(
                "{\"type\":\"track\"," + common(email, anonymous(email), expectedMessageId(eventName, email, messageId, segmentEvent))
                        + ",\"event\":\"" + segmentEvent + "\",\"properties\":{" + CAMPAIGN_PROPERTIES
                        + ",\"email_id\":\"c59667:t93849:" + email + "\",\"message_id\":\"" + messageId + "\""
                        + (extraProperties == null ? "" : "," + extraProperties) + "}}")));
        assertOnlyOnTheSegmentQueue(email);
    }

    /**
     * The webhook's route runs on the intake's own consumer (AsyncRouteHttpEngine), which frees the worker while the
     * events wait for their commit: a burst of webhooks during a slow commit cannot take every worker from health
     * and the other endpoints. Sailthru's form postbacks too; other routes keep Camel's consumer.
     */
    @Test
    void theIntakeEndpointsWaitForTheirCommitWithoutAWorker() {
        assertThat(engineConsumerOf("intake-" + IterableWebhook.ENDPOINT)).isEqualTo("AsyncRouteConsumer");
        assertThat(engineConsumerOf("intake-tracking-api")).isEqualTo("AsyncRouteConsumer");
        assertThat(engineConsumerOf("intake-sailthru-postback")).isEqualTo("AsyncRouteConsumer");
        assertThat(engineConsumerOf("admin-dead-letters-list")).isEqualTo("VertxPlatformHttpConsumer");
    }

    /** The kind of consumer the platform-http engine made for a route: the one that serves its requests. */
    private static String engineConsumerOf(String routeId) {
        DefaultPlatformHttpConsumer consumer = (DefaultPlatformHttpConsumer) bridge.main().getCamelContext().getRoute(routeId).getConsumer();
        return consumer.getPlatformHttpConsumer().getClass().getSimpleName();
    }

    @Test
    void clickWithOnlyLinkUrlTakesItAsTheLinkUrl() throws Exception {
        String email = newEmail("click-link-url");

        HttpResponse<String> response = post(webhook("emailClick", email, "\"linkUrl\":\"https://shop.example.com/a\",\"createdAt\":\"" + CREATED_AT + "\""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).singleElement().satisfies(stored -> assertThat(withoutReceivedAt(stored)).isEqualTo(json(
                "{\"type\":\"track\"," + common(email, anonymous(email), expectedMessageId("emailClick", email, "", "Email Link Clicked"))
                        + ",\"event\":\"Email Link Clicked\",\"properties\":{\"link_url\":\"https://shop.example.com/a\"}}")));
    }

    @Test
    void unsubscribeIsAnIdentifyAndAnUnsubscribedTrackWithListsAndChannels() throws Exception {
        String email = newEmail("unsubscribe");
        String messageId = "msg-" + UUID.randomUUID();

        HttpResponse<String> response = post(webhook("emailUnSubscribe", email, sendFields(email, messageId,
                "\"unsubSource\":\"EmailLink\",\"emailListIds\":[1001,1002],\"channelIds\":[3420],\"messageTypeIds\":[]")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> stored = storedFor(email);
        assertThat(stored).hasSize(2);
        assertThat(withoutReceivedAt(stored.get(0))).isEqualTo(json("{\"type\":\"identify\","
                + common(email, anonymous(email), expectedMessageId("emailUnSubscribe", email, messageId, "identify"))
                + ",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":true}}"));
        assertThat(withoutReceivedAt(stored.get(1))).isEqualTo(json("{\"type\":\"track\","
                + common(email, anonymous(email), expectedMessageId("emailUnSubscribe", email, messageId, "Unsubscribed"))
                + ",\"event\":\"Unsubscribed\",\"properties\":{" + CAMPAIGN_PROPERTIES + ",\"email_id\":\"c59667:t93849:" + email
                + "\",\"message_id\":\"" + messageId + "\",\"list_ids\":[1001,1002],\"channel_ids\":[3420]}}"));
        assertOnEveryQueue(email);
        assertThat(stored.get(0).path("context").path("bridge").path("consent").path("changed").asBoolean()).isTrue();

        // Iterable reporting the same unsubscribe again changes nothing, and nothing is stored.
        HttpResponse<String> again = post(webhook("emailUnSubscribe", email, sendFields(email, "msg-" + UUID.randomUUID(), "")));
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(storedFor(email)).hasSize(2);
    }

    @Test
    void subscribeIsAnIdentifyAndASubscribedTrack() throws Exception {
        String email = newEmail("subscribe");

        HttpResponse<String> response = post(webhook("emailSubscribe", email, "\"signupSource\":\"Import\",\"emailListIds\":[1001],"
                + "\"createdAt\":\"" + CREATED_AT + "\",\"email\":\"" + email + "\""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> stored = storedFor(email);
        assertThat(stored).hasSize(2);
        assertThat(withoutReceivedAt(stored.get(0))).isEqualTo(json("{\"type\":\"identify\","
                + common(email, anonymous(email), expectedMessageId("emailSubscribe", email, "", "identify"))
                + ",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":false}}"));
        assertThat(withoutReceivedAt(stored.get(1))).isEqualTo(json("{\"type\":\"track\","
                + common(email, anonymous(email), expectedMessageId("emailSubscribe", email, "", "Subscribed"))
                + ",\"event\":\"Subscribed\",\"properties\":{}}"));
        assertOnEveryQueue(email);
    }

    @Test
    void unknownEventNameIsAcknowledgedCountedAndNotStored() {
        String email = newEmail("sms");
        String ignored = "bridge_intake_requests_ignored_total{endpoint=\"iterable-webhook\",kind=\"smsReceived\"}";
        double before = bridge.metric(ignored);

        HttpResponse<String> response = post(webhook("smsReceived", email, "\"createdAt\":\"" + CREATED_AT + "\""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).isEmpty();
        assertThat(bridge.metric(ignored)).isEqualTo(before + 1);
    }

    // ---- identity, time, resends --------------------------------------------------------------------------------

    @Test
    void knownUsersEmailGetsTheirUserId() throws Exception {
        String email = newEmail("known");
        String userId = "user-" + UUID.randomUUID();
        HttpResponse<String> identified = bridge.postTracking("/v1/identify", WRITE_KEY,
                "{\"userId\":\"" + userId + "\",\"traits\":{\"email\":\"" + email + "\"}}");
        assertThat(identified.statusCode()).as(identified.body()).isEqualTo(200);

        HttpResponse<String> response = post(webhook("emailOpen", email, "\"createdAt\":\"" + CREATED_AT + "\""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> fromIterable = storedFor(email).stream().filter(event -> event.path("integrations").has("Iterable")).toList();
        assertThat(fromIterable).singleElement().satisfies(event -> {
            assertThat(event.path("userId").asText()).isEqualTo(userId);
            assertThat(event.has("anonymousId")).isFalse();
        });
    }

    @Test
    void iterablesOwnUserIdWins() throws Exception {
        String email = newEmail("iterable-user");

        HttpResponse<String> response = post("{\"email\":\"" + email + "\",\"userId\":\"it-user-7\",\"eventName\":\"emailOpen\","
                + "\"dataFields\":{\"createdAt\":\"" + CREATED_AT + "\"}}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).singleElement().satisfies(event -> {
            assertThat(event.path("userId").asText()).isEqualTo("it-user-7");
            assertThat(event.has("anonymousId")).isFalse();
        });
    }

    @Test
    void withoutCreatedAtTheTimestampIsTheTimeReceived() {
        String email = newEmail("no-created-at");
        Instant before = Instant.now().minusSeconds(1);

        HttpResponse<String> response = post(webhook("emailOpen", email, "\"campaignId\":1"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).singleElement().satisfies(event ->
                assertThat(Instant.parse(event.path("timestamp").asText())).isBetween(before, Instant.now().plusSeconds(1)));
    }

    @Test
    void webhookSentTwiceIsStoredOnce() {
        String email = newEmail("twice");
        String body = webhook("emailUnSubscribe", email, sendFields(email, "msg-" + UUID.randomUUID(), "\"emailListIds\":[1]"));
        Map<String, String> duplicates = Map.of("reason", "duplicate", "endpoint", "iterable-webhook");
        double before = bridge.metric("bridge_processor_events_dropped_total", duplicates);

        assertThat(post(body).statusCode()).isEqualTo(200);
        assertThat(post(body).statusCode()).isEqualTo(200);

        assertThat(storedFor(email)).hasSize(2);
        assertThat(bridge.metric("bridge_processor_events_dropped_total", duplicates)).isEqualTo(before + 2);
    }

    @Test
    void anotherOccurrenceOfTheSameTypeIsStoredAgain() {
        String email = newEmail("opened-twice");
        String messageId = "msg-" + UUID.randomUUID();

        assertThat(post(webhook("emailOpen", email, "\"messageId\":\"" + messageId + "\",\"createdAt\":\"2016-12-02 18:51:45 +00:00\"")).statusCode()).isEqualTo(200);
        assertThat(post(webhook("emailOpen", email, "\"messageId\":\"" + messageId + "\",\"createdAt\":\"2016-12-03 09:00:00 +00:00\"")).statusCode()).isEqualTo(200);

        assertThat(storedFor(email)).extracting(event -> event.path("timestamp").asText())
                .containsExactly("2016-12-02T18:51:45Z", "2016-12-03T09:00:00Z");
    }

    // ---- authentication and rejections --------------------------------------------------------------------------

    @Test
    void basicAuthWithTheTokenAsPasswordIsAccepted() {
        String email = newEmail("basic");

        HttpResponse<String> response = post(bridge, webhook("emailOpen", email, "\"createdAt\":\"" + CREATED_AT + "\""), basic("iterable", TOKEN));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).hasSize(1);
    }

    @Test
    void forgedOrMisplacedTokenIsUnauthorizedAndNothingIsStored() {
        String email = newEmail("forged");
        String body = webhook("emailUnSubscribe", email, "\"createdAt\":\"" + CREATED_AT + "\"");

        for (String authorization : List.of("Bearer " + TOKEN + "x", "Bearer forged", basic("iterable", "forged"),
                basic(TOKEN, ""), "Token " + TOKEN)) {
            HttpResponse<String> response = post(bridge, body, authorization);

            assertThat(response.statusCode()).as(authorization).isEqualTo(401);
            assertThat(RunningBridge.json(response).path("success").asBoolean(true)).isFalse();
            assertThat(response.body()).doesNotContain(TOKEN);
        }
        HttpResponse<String> anonymous = bridge.post("/webhooks/iterable", body, "Content-Type", "application/json");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(anonymous).path("error").asText()).contains("Bearer");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void withoutATokenConfiguredTheEndpointIsUnauthorized() {
        try (RunningBridge unconfigured = startWith(Map.of("bridge.iterable.webhook-token", ""))) {
            String email = newEmail("no-token");

            HttpResponse<String> response = post(unconfigured, webhook("emailOpen", email, ""), "Bearer " + TOKEN);

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(RunningBridge.json(response).path("error").asText()).contains("ITERABLE_WEBHOOK_TOKEN");
            assertThat(unconfigured.queuedWithEmail("segment", email)).isEmpty();
        }
    }

    @Test
    void missingEventNameOrEmailIsInvalidAndNamesTheField() {
        HttpResponse<String> noEventName = post("{\"email\":\"" + newEmail("no-event") + "\",\"dataFields\":{}}");
        HttpResponse<String> noEmail = post("{\"eventName\":\"emailOpen\",\"dataFields\":{}}");
        HttpResponse<String> notJson = post("{\"eventName\":");

        assertThat(noEventName.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(noEventName).path("field").asText()).isEqualTo("eventName");
        assertThat(noEmail.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(noEmail).path("field").asText()).isEqualTo("email");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(notJson).path("error").asText()).contains("not valid JSON");
    }

    @Test
    void anEmailOrUserIdLongerThanTheIdentityStoreKeepsIsInvalid() {
        String longEmail = "x".repeat(500) + "@example.com";
        HttpResponse<String> email = post(webhook("emailOpen", longEmail, "\"campaignId\":1"));
        HttpResponse<String> userId = post("{\"email\":\"" + newEmail("long-user") + "\",\"eventName\":\"emailOpen\",\"userId\":\""
                + "u".repeat(501) + "\",\"dataFields\":{}}");

        assertThat(email.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(email).path("field").asText()).isEqualTo("email");
        assertThat(RunningBridge.json(email).path("error").asText()).isEqualTo("email is 512 characters long; the bridge keeps ids and emails of at most 500");
        assertThat(userId.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(userId).path("field").asText()).isEqualTo("userId");
    }

    @Test
    void anEventLargerThanAnyEventMayBeIsTooLargeAndNothingIsStored() {
        String email = newEmail("large");

        HttpResponse<String> response = post(webhook("emailOpen", email, "\"emailSubject\":\"" + "s".repeat(40_000) + "\""));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(RunningBridge.json(response).path("error").asText())
                .matches("the event made from this report is \\d+ bytes; the limit per event is 32768 bytes");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void aCreatedAtPastTheYear9999InUtcIsTakenAsTheTimeReceived() {
        String email = newEmail("far-created-at");
        Instant before = Instant.now().minusSeconds(1);

        HttpResponse<String> response = post(webhook("emailOpen", email, "\"createdAt\":\"9999-12-31 23:59:59 -18:00\""));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).singleElement().satisfies(event ->
                assertThat(Instant.parse(event.path("timestamp").asText())).isBetween(before, Instant.now().plusSeconds(1)));
    }

    @Test
    void onlyJsonIsAccepted() {
        for (String contentType : List.of("application/x-www-form-urlencoded", "text/plain")) {
            HttpResponse<String> response = bridge.post("/webhooks/iterable", webhook("emailOpen", newEmail("form"), ""),
                    "Content-Type", contentType, "Authorization", "Bearer " + TOKEN);

            assertThat(response.statusCode()).as(contentType).isEqualTo(415);
            assertThat(RunningBridge.json(response).path("error").asText()).contains("application/json");
        }
    }

    @Test
    void withoutTheSegmentDestinationEngagementIsNotKeptButAConsentChangeStillReachesTheOthers() {
        try (RunningBridge withoutSegment = startWith(Map.of(
                "bridge.iterable.webhook-token", TOKEN, "bridge.destinations", "emarsys,iterable"))) {
            String email = newEmail("no-segment");

            HttpResponse<String> open = post(withoutSegment, webhook("emailOpen", email, ""), "Bearer " + TOKEN);
            assertThat(open.statusCode()).as(open.body()).isEqualTo(200);
            for (String destination : List.of("emarsys", "iterable")) {
                assertThat(withoutSegment.queuedWithEmail(destination, email)).as(destination).isEmpty();
            }

            HttpResponse<String> unsubscribe = post(withoutSegment, webhook("emailUnSubscribe", email, ""), "Bearer " + TOKEN);
            assertThat(unsubscribe.statusCode()).as(unsubscribe.body()).isEqualTo(200);
            assertThat(withoutSegment.queuedWithEmail("emarsys", email)).hasSize(2);
        }
    }
}
