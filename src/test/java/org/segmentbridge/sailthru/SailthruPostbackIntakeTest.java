package org.segmentbridge.sailthru;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;

/** Sailthru's postbacks to /webhooks/sailthru: form-encoded, signed with sig, stored as Segment events for Segment. */
class SailthruPostbackIntakeTest {

    private static final String API_KEY = "testkey";
    private static final String SECRET = "testsecret";
    private static final String WRITE_KEY = "postback-test-write-key";
    private static final List<String> OTHER_DESTINATIONS = List.of("emarsys", "sailthru", "iterable");

    private static RunningBridge bridge;

    @BeforeAll
    static void startBridge() {
        bridge = startWith(Map.of("bridge.destination.sailthru.api-secret", SECRET, "bridge.write-keys", WRITE_KEY));
    }

    /**
     * A bridge with our API key and these settings. Postbacks are intake only: delivery to Sailthru is not under
     * test here, so the destination stays off.
     */
    private static RunningBridge startWith(Map<String, String> settings) {
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("bridge.destination.sailthru.api-key", API_KEY);
        all.put("bridge.destination.sailthru.enabled", "false");
        return RunningBridge.start(all);
    }

    @AfterAll
    static void stopBridge() {
        bridge.close();
    }

    // ---- the postback as Sailthru would post it -----------------------------------------------------------------

    /** md5-hex of the secret followed by every value, sorted as strings; written here apart from the bridge's code. */
    private static String sailthruSig(String secret, List<String> values) throws Exception {
        List<String> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        StringBuilder signed = new StringBuilder(secret);
        sorted.forEach(signed::append);
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(signed.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The parameters with api_key and a correct sig added. */
    private static Map<String, String> signed(Map<String, String> params) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(params);
        all.putIfAbsent("api_key", API_KEY);
        all.put("sig", sailthruSig(SECRET, new ArrayList<>(all.values())));
        return all;
    }

    private static String form(Map<String, String> params) {
        return params.entrySet().stream()
                .map(entry -> URLEncoder.encode(entry.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(entry.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static HttpResponse<String> postback(RunningBridge target, Map<String, String> params) {
        return target.post("/webhooks/sailthru", form(params), "Content-Type", "application/x-www-form-urlencoded");
    }

    private static HttpResponse<String> postback(Map<String, String> params) {
        return postback(bridge, params);
    }

    private static String newEmail(String who) {
        return who + "." + UUID.randomUUID() + "@example.com";
    }


    private static List<JsonNode> storedFor(String email) {
        return bridge.queuedWithEmail("segment", email).stream().map(RunningBridge.QueuedEvent::body).toList();
    }

    /** The event without what the bridge generates per request, after checking that those are there. */
    private static JsonNode withoutGenerated(JsonNode stored) {
        ObjectNode copy = stored.deepCopy();
        assertThat(copy.remove("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(copy.remove("receivedAt").asText()).endsWith("Z");
        String messageId = copy.remove("messageId").asText();
        assertThat(messageId).startsWith("sailthru-").hasSizeLessThanOrEqualTo(100);
        ((ObjectNode) copy.path("context")).remove("bridge");
        return copy;
    }

    /** The intake's mark of a consent signal: its state, and whether this event is the one that changed it. */
    private static String consentMark(JsonNode stored) {
        JsonNode mark = stored.path("context").path("bridge").path("consent");
        return mark.path("state").asText() + "/" + (mark.path("changed").asBoolean() ? "changed" : "unchanged") + "/" + mark.path("origin").asText();
    }

    private static JsonNode json(String text) throws Exception {
        return RunningBridge.JSON.readTree(text);
    }

    /** The parts every postback event shares, around its own fields. */
    private static String common(String email, String identity) {
        return identity + ",\"context\":{\"traits\":{\"email\":\"" + email + "\"},\"integration\":{\"name\":\"sailthru\"}},"
                + "\"integrations\":{\"All\":true,\"Sailthru\":false}";
    }

    private static String anonymous(String email) throws Exception {
        return "\"anonymousId\":\"email:" + sha256(email.toLowerCase(Locale.ROOT)) + "\"";
    }

    // ---- tests --------------------------------------------------------------------------------------------------

    @Test
    void signatureMatchesTheDocumentedTestVector() throws Exception {
        assertThat(sailthruSig("testsecret", List.of("testkey", "json", "{\"id\": \"a@b.com\"}")))
                .isEqualTo("efb56d21c8d260d435358cfb76134fef");
    }

    @Test
    void optoutIsAnIdentifyAndAnUnsubscribedTrackForEveryDestination() throws Exception {
        String email = "Opt.Out." + UUID.randomUUID() + "@Example.com";
        Map<String, String> params = new LinkedHashMap<>();
        params.put("action", "optout");
        params.put("email", email);
        params.put("optout", "1");
        params.put("mode", "all");
        params.put("list", "Weekly Digest");
        params.put("blast_id", "4711");
        params.put("reason", "too many emails");

        HttpResponse<String> response = postback(signed(params));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"success\":true}");
        List<JsonNode> stored = storedFor(email);
        assertThat(stored).hasSize(2);
        assertThat(withoutGenerated(stored.get(0))).isEqualTo(json("{\"type\":\"identify\","
                + common(email, anonymous(email)) + ",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":true}}"));
        assertThat(withoutGenerated(stored.get(1))).isEqualTo(json("{\"type\":\"track\","
                + common(email, anonymous(email)) + ",\"event\":\"Unsubscribed\",\"properties\":{\"mode\":\"all\","
                + "\"list_name\":\"Weekly Digest\",\"blast_id\":\"4711\",\"reason\":\"too many emails\"}}"));
        assertThat(stored.get(0).path("messageId").asText()).isNotEqualTo(stored.get(1).path("messageId").asText());
        assertThat(bridge.queuedWithEmail("segment", email)).allSatisfy(event -> {
            assertThat(event.properties()).containsEntry("receivedVia", "sailthru-postback");
        });
        assertThat(stored).extracting(SailthruPostbackIntakeTest::consentMark)
                .containsExactly("unsubscribed/changed/sailthru", "unsubscribed/unchanged/sailthru");
        // A consent change reaches every platform; the integrations flag keeps it from going back to Sailthru.
        for (String other : OTHER_DESTINATIONS) {
            assertThat(bridge.queuedWithEmail(other, email)).as(other).hasSize(2);
        }

        HttpResponse<String> again = postback(signed(Map.of("action", "optout", "email", email, "optout", "1", "mode", "basic")));
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(storedFor(email)).as("a repeated opt-out changes nothing and goes nowhere").hasSize(2);
    }

    @Test
    void optingBackInIsAnIdentifyAndASubscribedTrack() throws Exception {
        String email = newEmail("opt-in");

        HttpResponse<String> response = postback(signed(Map.of("action", "optout", "email", email, "optout", "0", "mode", "basic")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> stored = storedFor(email);
        assertThat(stored).hasSize(2);
        assertThat(withoutGenerated(stored.get(0))).isEqualTo(json("{\"type\":\"identify\","
                + common(email, anonymous(email)) + ",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":false}}"));
        assertThat(withoutGenerated(stored.get(1))).isEqualTo(json("{\"type\":\"track\","
                + common(email, anonymous(email)) + ",\"event\":\"Subscribed\",\"properties\":{\"mode\":\"basic\"}}"));
        assertThat(consentMark(stored.get(1))).isEqualTo("subscribed/changed/sailthru");
    }

    @Test
    void hardBounceIsAnEmailBouncedTrackAndAnIdentify() throws Exception {
        String email = newEmail("bounce");

        HttpResponse<String> response = postback(signed(Map.of("action", "hardbounce", "email", email, "send_id", "send-9")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> stored = storedFor(email);
        assertThat(stored).hasSize(2);
        assertThat(withoutGenerated(stored.get(0))).isEqualTo(json("{\"type\":\"track\","
                + common(email, anonymous(email)) + ",\"event\":\"Email Bounced\","
                + "\"properties\":{\"bounce_type\":\"hard\",\"send_id\":\"send-9\"}}"));
        assertThat(withoutGenerated(stored.get(1))).isEqualTo(json("{\"type\":\"identify\","
                + common(email, anonymous(email)) + ",\"traits\":{\"email\":\"" + email + "\",\"email_hard_bounced\":true}}"));
    }

    @Test
    void updateBecomesAnIdentifyWithNestedVarsAndLists() throws Exception {
        String email = newEmail("update");
        Map<String, String> params = new LinkedHashMap<>();
        params.put("action", "update");
        params.put("email", email);
        params.put("sid", "5a0c7f1e");
        params.put("vars[plan]", "gold");
        params.put("vars[address][city]", "Berlin");
        params.put("lists", "{\"Weekly Digest\":1}");
        params.put("optout_email", "none");

        HttpResponse<String> response = postback(signed(params));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).singleElement().satisfies(stored -> assertThat(withoutGenerated(stored)).isEqualTo(json(
                "{\"type\":\"identify\"," + common(email, anonymous(email)) + ",\"traits\":{\"email\":\"" + email + "\","
                        + "\"vars\":{\"plan\":\"gold\",\"address\":{\"city\":\"Berlin\"}},"
                        + "\"lists\":{\"Weekly Digest\":1},\"optout_email\":\"none\"}}")));
    }

    @Test
    void verifyIsAcknowledgedAndNothingIsStored() throws Exception {
        String email = newEmail("verify");

        HttpResponse<String> response = postback(signed(Map.of("action", "verify", "email", email, "send_id", "send-1")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void postbackSentTwiceIsStoredOnce() throws Exception {
        String email = newEmail("twice");
        Map<String, String> params = signed(Map.of("action", "hardbounce", "email", email, "blast_id", "77"));

        assertThat(postback(params).statusCode()).isEqualTo(200);
        assertThat(postback(params).statusCode()).isEqualTo(200);

        assertThat(storedFor(email)).hasSize(2);
    }

    @Test
    void forgedSignatureIsForbiddenAndNothingIsStored() throws Exception {
        String email = newEmail("forged");
        Map<String, String> params = signed(Map.of("action", "optout", "email", email, "optout", "1", "mode", "all"));
        params.put("optout", "0");

        HttpResponse<String> response = postback(params);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(RunningBridge.json(response).path("success").asBoolean(true)).isFalse();
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("the sig parameter does not match the posted parameters");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void anotherAccountsApiKeyIsForbiddenEvenWhenSignedWithOurSecret() throws Exception {
        String email = newEmail("other-key");

        HttpResponse<String> response = postback(signed(Map.of("action", "optout", "email", email, "optout", "1",
                "api_key", "someone-elses-key")));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("api_key");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void missingSignatureIsForbidden() {
        String email = newEmail("unsigned");

        HttpResponse<String> response = postback(Map.of("action", "optout", "email", email, "optout", "1", "api_key", API_KEY));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("the sig parameter is missing");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void missingEmailOrUnknownActionIsInvalidAndNamesTheParameter() throws Exception {
        HttpResponse<String> noEmail = postback(signed(Map.of("action", "optout", "optout", "1")));
        HttpResponse<String> unknownAction = postback(signed(Map.of("action", "spamreport", "email", newEmail("spam"))));
        HttpResponse<String> noAction = postback(signed(Map.of("email", newEmail("no-action"))));

        assertThat(noEmail.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(noEmail).path("field").asText()).isEqualTo("email");
        assertThat(unknownAction.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(unknownAction).path("field").asText()).isEqualTo("action");
        assertThat(noAction.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(noAction).path("field").asText()).isEqualTo("action");
    }

    @Test
    void anEmailLongerThanTheIdentityStoreKeepsIsInvalid() throws Exception {
        String email = "x".repeat(500) + "@example.com";

        HttpResponse<String> response = postback(signed(Map.of("action", "optout", "email", email, "optout", "1")));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("field").asText()).isEqualTo("email");
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("email is 512 characters long; the bridge keeps emails of at most 500");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void varsNestedDeeperThanAnEventMayBeAreInvalidNamingTheParameter() throws Exception {
        String email = newEmail("deep");
        Map<String, String> params = new LinkedHashMap<>();
        params.put("action", "update");
        params.put("email", email);
        // 100 levels, deeper than the 64 an event may nest. The name stays under 1,024 bytes encoded: on HTTP/1.1
        // Vert.x refuses a longer field name that arrives split across two reads with a plain-text 400 of its own.
        params.put("vars" + "[a]".repeat(100), "deep");

        HttpResponse<String> response = postback(signed(params));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("field").asText()).isEqualTo("vars");
        assertThat(RunningBridge.json(response).path("error").asText()).contains("nests 100 levels of brackets");
        assertThat(storedFor(email)).isEmpty();
    }

    @Test
    void aValueInJsonTheIntakeWouldRefuseIsKeptAsText() throws Exception {
        String email = newEmail("json-vars");
        Map<String, String> params = new LinkedHashMap<>();
        params.put("action", "update");
        params.put("email", email);
        params.put("vars", "{\"n\":1e400}");

        HttpResponse<String> response = postback(signed(params));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).singleElement()
                .satisfies(stored -> assertThat(stored.path("traits").path("vars").asText()).isEqualTo("{\"n\":1e400}"));
    }

    @Test
    void theFormMediaTypeIsTakenInAnyCase() throws Exception {
        String email = newEmail("upper-case");

        HttpResponse<String> response = bridge.post("/webhooks/sailthru", form(signed(Map.of("action", "hardbounce", "email", email))),
                "Content-Type", "APPLICATION/X-WWW-FORM-URLENCODED");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(storedFor(email)).hasSize(2);
    }

    @Test
    void jsonBodyIsUnsupported() {
        HttpResponse<String> response = bridge.post("/webhooks/sailthru", "{\"action\":\"optout\"}", "Content-Type", "application/json");

        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("application/x-www-form-urlencoded");
    }

    @Test
    void knownUsersEmailGetsTheirUserId() throws Exception {
        String email = newEmail("known");
        String userId = "user-" + UUID.randomUUID();
        HttpResponse<String> identified = bridge.postTracking("/v1/identify", WRITE_KEY,
                "{\"userId\":\"" + userId + "\",\"traits\":{\"email\":\"" + email + "\"}}");
        assertThat(identified.statusCode()).as(identified.body()).isEqualTo(200);

        HttpResponse<String> response = postback(signed(Map.of("action", "optout", "email", email, "optout", "1", "mode", "all")));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> stored = storedFor(email).stream().filter(event -> event.path("integrations").has("Sailthru")).toList();
        assertThat(stored).hasSize(2).allSatisfy(event -> {
            assertThat(event.path("userId").asText()).isEqualTo(userId);
            assertThat(event.has("anonymousId")).isFalse();
        });
    }

    @Test
    void withoutASecretTheEndpointIsUnauthorized() throws Exception {
        try (RunningBridge unconfigured = startWith(Map.of("bridge.destination.sailthru.api-secret", ""))) {
            String email = newEmail("no-secret");

            HttpResponse<String> response = postback(unconfigured, signed(Map.of("action", "optout", "email", email, "optout", "1")));

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(RunningBridge.json(response).path("error").asText()).contains("SAILTHRU_API_SECRET");
            assertThat(unconfigured.queuedWithEmail("segment", email)).isEmpty();
        }
    }

    @Test
    void withoutTheSegmentDestinationEngagementIsNotKeptButAConsentChangeStillReachesTheOthers() throws Exception {
        try (RunningBridge withoutSegment = startWith(Map.of(
                "bridge.destination.sailthru.api-secret", SECRET, "bridge.destinations", "emarsys,sailthru"))) {
            String email = newEmail("no-segment");

            HttpResponse<String> bounce = postback(withoutSegment, signed(Map.of("action", "hardbounce", "email", email, "send_id", "s-1")));
            assertThat(bounce.statusCode()).as(bounce.body()).isEqualTo(200);
            for (String destination : List.of("emarsys", "sailthru")) {
                assertThat(withoutSegment.queuedWithEmail(destination, email)).as(destination).isEmpty();
            }

            HttpResponse<String> optout = postback(withoutSegment, signed(Map.of("action", "optout", "email", email, "optout", "1")));
            assertThat(optout.statusCode()).as(optout.body()).isEqualTo(200);
            assertThat(withoutSegment.queuedWithEmail("emarsys", email)).hasSize(2);
        }
    }
}
