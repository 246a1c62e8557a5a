package org.segmentbridge.privacy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.ExactlyOnce;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.Signed;

/**
 * Consent and erasure across all four platforms, end to end: the shipped routes, a bridge delivering live to fakes of
 * Emarsys, Sailthru, Iterable and Segment, and the loops a two-way sync invites.
 */
class PrivacyTest {

    private static final String WRITE_KEY = "privacy-write-key";
    private static final String ADMIN = "privacy-admin";
    private static final String WEBHOOK_SECRET = "privacy-webhook-secret";
    private static final String SAILTHRU_KEY = "st-key";
    private static final String SAILTHRU_SECRET = "st-secret";
    private static final String ITERABLE_TOKEN = "iterable-webhook-token";
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** How long "nothing more arrives" is watched for. */
    private static final Duration QUIET = Duration.ofSeconds(3);

    private static final WireMockServer emarsys = new WireMockServer(options().dynamicPort());
    private static final WireMockServer sailthru = new WireMockServer(options().dynamicPort());
    private static final WireMockServer iterable = new WireMockServer(options().dynamicPort());
    private static final WireMockServer segment = new WireMockServer(options().dynamicPort());
    private static RunningBridge bridge;

    @BeforeAll
    static void start() {
        for (WireMockServer server : List.of(emarsys, sailthru, iterable, segment)) {
            server.start();
        }
        emarsys.stubFor(get(urlEqualTo("/api/v2/field")).willReturn(okJson("{\"replyCode\":0,\"replyText\":\"OK\",\"data\":[]}")));
        emarsys.stubFor(get(urlEqualTo("/api/v2/event")).willReturn(okJson("""
                {"replyCode":0,"replyText":"OK","data":[{"id":"501","name":"signed_up"}]}""")));
        emarsys.stubFor(put(urlEqualTo("/api/v2/contact/?create_if_not_exists=1")).atPriority(10).willReturn(okJson(EMARSYS_OK)));
        emarsys.stubFor(post(urlMatching("/api/v2/(event/\\d+/trigger|contact/delete)")).atPriority(10).willReturn(okJson(EMARSYS_OK)));
        sailthru.stubFor(post(urlMatching("/(user|event)")).atPriority(10).willReturn(okJson("{\"ok\":true}")));
        sailthru.stubFor(delete(urlPathEqualTo("/user")).atPriority(10).willReturn(okJson("{\"ok\":true}")));
        iterable.stubFor(any(urlMatching("/api/.*")).atPriority(10).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        segment.stubFor(post(urlEqualTo("/v1/batch")).willReturn(okJson("{\"success\":true}")));

        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "bridge.destinations", "emarsys,sailthru,iterable,segment",
                "bridge.write-keys", WRITE_KEY,
                "bridge.admin-token", ADMIN,
                "bridge.webhook.segment-secret", WEBHOOK_SECRET,
                "bridge.iterable.webhook-token", ITERABLE_TOKEN,
                "camel.main.routesIncludePattern", "file:routes/*/*.yaml",
                "bridge.delivery.batch.flush", "200ms",
                "bridge.delivery.retry.initial-delay", "300ms",
                "bridge.iterable.unsubscribe-message-types", "101"));
        settings.putAll(Map.of(
                "bridge.destination.emarsys.base-url", emarsys.baseUrl() + "/api/v2",
                "bridge.destination.emarsys.api-user", "emarsys-user",
                "bridge.destination.emarsys.api-secret", "emarsys-secret",
                "bridge.destination.sailthru.base-url", sailthru.baseUrl(),
                "bridge.destination.sailthru.api-key", SAILTHRU_KEY,
                "bridge.destination.sailthru.api-secret", SAILTHRU_SECRET,
                "bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", "iterable-key",
                "bridge.destination.segment.base-url", segment.baseUrl(),
                "bridge.destination.segment.write-key", "segment-key"));
        bridge = RunningBridge.start(settings);
    }

    @AfterAll
    static void stop() {
        bridge.close();
        for (WireMockServer server : List.of(emarsys, sailthru, iterable, segment)) {
            server.stop();
        }
    }

    private static final String EMARSYS_OK = "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{}}";

    // ---- opt-outs from every origin -------------------------------------------------------------------------------

    @Test
    void anOptOutInSegmentReachesEachVendorOnceAndIsNotSentBackToSegment() {
        String email = "seg-out@example.com";
        send(identify("u-seg-out", email, "\"unsubscribed\":true"),
                track("u-seg-out", email, "Unsubscribed"),
                identify("u-seg-out", email, "\"unsubscribed\":true,\"plan\":\"pro\""));

        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2"))
                .and("Sailthru opt-out", () -> sailthruOptOuts(email, "all"))
                .and("Iterable unsubscribe", () -> iterableUnsubscribes(email))
                .check();
        assertThat(segmentEvents(email)).as("Segment already knows").isEmpty();
        assertConsent(email, "unsubscribed", "segment");
    }

    @Test
    void aSailthruOptOutReachesTheOtherVendorsAndSegmentAndItsEchoesDieOut() throws Exception {
        String email = "st-out@example.com";
        sailthruPostback(Map.of("action", "optout", "email", email, "optout", "1", "mode", "all"));

        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2"))
                .and("Iterable unsubscribe", () -> iterableUnsubscribes(email))
                .check();
        awaitSegmentEvents(email, 2);
        assertThat(segmentEvents(email)).extracting(event -> event.path("type").asText() + ":" + event.path("event").asText(""))
                .containsExactlyInAnyOrder("identify:", "track:Unsubscribed");
        assertThat(sailthruOptOuts(email, "all")).as("never sent back to where it came from").isZero();
        assertConsent(email, "unsubscribed", "sailthru");

        // The echoes: Segment's Webhooks destination hands the two events back (past the dedupe window, so with new
        // messageIds), and Iterable reports the unsubscribe the bridge made there.
        for (JsonNode event : segmentEvents(email)) {
            com.fasterxml.jackson.databind.node.ObjectNode echo = event.deepCopy();
            echo.put("messageId", "echo-" + event.path("messageId").asText());
            segmentWebhook(echo.toString());
        }
        iterableWebhook(email, "emailUnSubscribe", "msg-st-out");

        Thread.sleep(QUIET.toMillis());
        assertThat(emarsysConsent(email, "2")).isEqualTo(1);
        assertThat(iterableUnsubscribes(email)).isEqualTo(1);
        assertThat(sailthruOptOuts(email, "all")).isZero();
        // With new messageIds the echoes are Segment's events like any other, and the Segment destination takes them
        // once (the fan-out does not yet keep Segment's own events from it). Segment hands them back with the ids the
        // bridge sent, which the dedupe ledger drops: the loop ends there.
        awaitSegmentEvents(email, 4);
        for (JsonNode event : segmentEvents(email)) {
            if (event.path("messageId").asText().startsWith("echo-")) {
                segmentWebhook(event.toString());
            }
        }
        Thread.sleep(QUIET.toMillis());
        assertThat(segmentEvents(email)).as("the echoes of the echoes go nowhere").hasSize(4);
        assertThat(emarsysConsent(email, "2")).isEqualTo(1);
        assertThat(iterableUnsubscribes(email)).isEqualTo(1);
    }

    @Test
    void anIterableUnsubscribeReachesTheOtherVendorsAndSegment() throws Exception {
        String email = "it-out@example.com";
        iterableWebhook(email, "emailUnSubscribe", "msg-it-out");
        iterableWebhook(email, "emailUnSubscribe", "msg-it-out-again");

        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2"))
                .and("Sailthru opt-out", () -> sailthruOptOuts(email, "all"))
                .check();
        awaitSegmentEvents(email, 2);
        assertThat(iterableUnsubscribes(email)).isZero();
        Thread.sleep(QUIET.toMillis());
        assertThat(segmentEvents(email)).as("the second report changed nothing").hasSize(2);
        assertConsent(email, "unsubscribed", "iterable");
    }

    @Test
    void anEmarsysUnsubscribeReachesTheOtherVendorsAndSegment() {
        // What the Emarsys engagement backfill queues for an unsubscribe: origin emarsys, kept from Emarsys itself.
        String email = "em-out@example.com";
        segmentWebhook("""
                {"type":"track","event":"Unsubscribed","messageId":"emarsys-unsub-1","anonymousId":"email:x",
                 "context":{"traits":{"email":"%s"},"integration":{"name":"emarsys"}},
                 "integrations":{"All":true,"Emarsys":false},"timestamp":"2026-11-20T10:00:00Z"}""".formatted(email));

        ExactlyOnce.of("Sailthru opt-out", () -> sailthruOptOuts(email, "all"))
                .and("Iterable unsubscribe", () -> iterableUnsubscribes(email))
                .check();
        awaitSegmentEvents(email, 1);
        assertThat(emarsysConsent(email, "2")).isZero();
        assertConsent(email, "unsubscribed", "emarsys");
    }

    @Test
    void anOperatorOptOutReachesEveryPlatformAndSegment() {
        String email = "op-out@example.com";
        var response = bridge.post("/admin/privacy/consent", "{\"email\":\"" + email + "\",\"state\":\"unsubscribed\"}",
                "Content-Type", "application/json", "Authorization", "Bearer " + ADMIN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        assertThat(RunningBridge.json(response).path("changed").asBoolean()).isTrue();

        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2"))
                .and("Sailthru opt-out", () -> sailthruOptOuts(email, "all"))
                .and("Iterable unsubscribe", () -> iterableUnsubscribes(email))
                .check();
        awaitSegmentEvents(email, 2);
        assertConsent(email, "unsubscribed", "operator");

        var again = bridge.post("/admin/privacy/consent", "{\"email\":\"" + email + "\",\"state\":\"unsubscribed\"}",
                "Content-Type", "application/json", "Authorization", "Bearer " + ADMIN);
        assertThat(RunningBridge.json(again).path("changed").asBoolean()).isFalse();
    }

    // ---- re-subscription ---------------------------------------------------------------------------------------------

    @Test
    void aStaleTraitDoesNotResubscribeButAnExplicitSubscribedDoes() throws Exception {
        String email = "stale@example.com";
        send(track("u-stale", email, "Unsubscribed"));
        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2")).check();

        send(identify("u-stale", email, "\"unsubscribed\":false,\"email_opt_in\":true"));
        Thread.sleep(QUIET.toMillis());
        assertThat(emarsysConsent(email, "1")).isZero();
        assertThat(sailthruOptOuts(email, "none")).isZero();
        assertThat(iterableSubscribes(email)).isZero();
        assertConsent(email, "unsubscribed", "segment");

        send(track("u-stale", email, "Subscribed"));
        ExactlyOnce.of("Emarsys opt-in", () -> emarsysConsent(email, "1"))
                .and("Sailthru opt-in", () -> sailthruOptOuts(email, "none"))
                .and("Iterable re-subscription", () -> iterableSubscribes(email))
                .check();
        assertConsent(email, "subscribed", "segment");
    }

    @Test
    void badOperatorRequestsAreRefusedNamingTheField() {
        var noToken = bridge.post("/admin/privacy/delete", "{\"email\":\"a@example.com\"}", "Content-Type", "application/json");
        assertThat(noToken.statusCode()).isEqualTo(401);
        var nobody = admin("/admin/privacy/delete", "{}");
        assertThat(nobody.statusCode()).isEqualTo(400);
        assertThat(nobody.body()).contains("userId or email is required");
        var notAnEmail = admin("/admin/privacy/delete", "{\"email\":\"not-an-address\"}");
        assertThat(notAnEmail.statusCode()).isEqualTo(400);
        assertThat(notAnEmail.body()).contains("email must be an email address");
        var badState = admin("/admin/privacy/consent", "{\"email\":\"a@example.com\",\"state\":\"maybe\"}");
        assertThat(badState.statusCode()).isEqualTo(400);
        assertThat(badState.body()).contains("state must be 'unsubscribed' or 'subscribed'");
        // Longer than the identity store keeps: these made its insert fail with a 500.
        var longUserId = admin("/admin/privacy/delete", "{\"userId\":\"" + "u".repeat(600) + "\"}");
        assertThat(longUserId.statusCode()).isEqualTo(400);
        assertThat(longUserId.body()).contains("userId is 600 characters long; the bridge keeps ids and emails of at most 500");
        var longEmail = admin("/admin/privacy/consent", "{\"email\":\"" + "e".repeat(600) + "@example.com\",\"state\":\"unsubscribed\"}");
        assertThat(longEmail.statusCode()).isEqualTo(400);
        assertThat(longEmail.body()).contains("email is 612 characters long");
    }

    // ---- the send guard ----------------------------------------------------------------------------------------------

    @Test
    void marketingEventsStopForAnOptedOutPersonWhileTheirProfileStillFollows() {
        String email = "guarded@example.com";
        send(track("u-guarded", email, "Unsubscribed"));
        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2")).check();
        double suppressedBefore = suppressed();

        send(track("u-guarded", email, "Signed Up"), identify("u-guarded", email, "\"plan\":\"gold\""));

        await().atMost(WAIT).until(() -> requestsContaining(iterable, "POST", "/api/users/update", email) >= 1
                && requestsContaining(sailthru, "POST", "/user", "gold") >= 1);
        await().atMost(WAIT).until(() -> suppressed() >= suppressedBefore + 3);
        assertThat(requestsContaining(emarsys, "POST", "/api/v2/event/501/trigger", email)).isZero();
        assertThat(requestsContaining(sailthru, "POST", "/event", email)).isZero();
        assertThat(requestsContaining(iterable, "POST", "/api/events/track", email)
                + requestsContaining(iterable, "POST", "/api/events/trackBulk", email)).isZero();

        // Someone who never opted out gets the same marketing event.
        send(track("u-welcome", "welcome@example.com", "Signed Up"));
        await().atMost(WAIT).until(() -> requestsContaining(sailthru, "POST", "/event", "welcome@example.com") == 1
                && requestsContaining(emarsys, "POST", "/api/v2/event/501/trigger", "welcome@example.com") == 1);
    }

    @Test
    void anOptOutStopsMarketingToSomeoneTheSendGuardAlreadyLetThrough() {
        String email = "remembered@example.com";
        send(track("u-remembered", email, "Signed Up"));
        await().atMost(WAIT).until(() -> requestsContaining(sailthru, "POST", "/event", email) == 1
                && requestsContaining(emarsys, "POST", "/api/v2/event/501/trigger", email) == 1);

        // The guards just read (and may remember) that this person has not opted out; the opt-out must count at once.
        send(track("u-remembered", email, "Unsubscribed"));
        ExactlyOnce.of("Emarsys opt-out", () -> emarsysConsent(email, "2")).check();
        double suppressedBefore = suppressed();
        send(track("u-remembered", email, "Signed Up"));

        await().atMost(WAIT).until(() -> suppressed() >= suppressedBefore + 3);
        assertThat(requestsContaining(sailthru, "POST", "/event", email)).isEqualTo(1);
        assertThat(requestsContaining(emarsys, "POST", "/api/v2/event/501/trigger", email)).isEqualTo(1);
    }

    // ---- erasure -----------------------------------------------------------------------------------------------------

    @Test
    void anErasureStepThatKeepsFailingIsMeasuredWhileItRetries() {
        String email = "erase.slowly@example.com";
        var down = iterable.stubFor(post(urlEqualTo("/api/users/forget")).atPriority(1)
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(email)).willReturn(aResponse().withStatus(503)));
        double retriedBefore = bridge.metric("bridge_privacy_erasure_steps_total", Map.of("platform", "iterable", "result", "retrying"));
        try {
            var response = admin("/admin/privacy/delete", "{\"email\":\"" + email + "\"}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);

            // The alert on an erasure retrying too long reads how long the longest has been failing.
            await().atMost(WAIT).until(() -> bridge.metric("bridge_privacy_erasure_retrying_seconds") >= 1.0);
            assertThat(bridge.metric("bridge_privacy_erasure_steps_total", Map.of("platform", "iterable", "result", "retrying")))
                    .isGreaterThanOrEqualTo(retriedBefore + 2);
        } finally {
            iterable.removeStub(down);
        }
        await().atMost(WAIT).until(() -> requestsContaining(iterable, "POST", "/api/users/forget", email) >= 3
                && bridge.metric("bridge_privacy_erasure_retrying_seconds") == 0.0);
    }

    @Test
    void anErasureReachesEveryVendorWithAnAuditEntryEachAndLeavesOnlyHashes() throws Exception {
        String email = "erase.me@example.com";
        String userId = "u-erase-me";
        // Iterable refuses this person's event once, so the bridge holds a dead letter about them.
        iterable.stubFor(post(urlMatching("/api/events/track(Bulk)?")).atPriority(1)
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(email))
                .willReturn(aResponse().withStatus(400).withBody("{\"code\":\"InvalidJsonError\",\"msg\":\"bad event\"}")));
        send(identify(userId, email, "\"plan\":\"pro\""), track(userId, email, "Clicked Something"));
        await().atMost(WAIT).until(() -> !bridge.deadLetters("iterable", null, ADMIN).stream()
                .filter(letter -> letter.toString().contains(email)).toList().isEmpty());
        // ... and a consent record.
        send(track(userId, email, "Unsubscribed"));
        await().atMost(WAIT).until(() -> emarsysConsent(email, "2") == 1);

        // Emarsys fails the first delete and takes the second.
        emarsys.stubFor(post(urlEqualTo("/api/v2/contact/delete")).atPriority(1).inScenario("delete").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("failed once").willReturn(aResponse().withStatus(503)));
        var response = admin("/admin/privacy/delete", "{\"userId\":\"" + userId + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        String request = RunningBridge.json(response).path("request").asText();
        String subject = RunningBridge.json(response).path("subject").asText();
        assertThat(subject).isEqualTo(Erasures.hash("key", email));

        await().atMost(WAIT).until(() -> requestsContaining(emarsys, "POST", "/api/v2/contact/delete", email) == 2);
        await().atMost(WAIT).until(() -> sailthru.findAll(anyRequestedFor(urlPathEqualTo("/user"))).stream()
                .anyMatch(r -> r.getMethod().getName().equals("DELETE") && sailthruJson(r).path("id").asText().equals(email)));
        await().atMost(WAIT).until(() -> requestsContaining(iterable, "POST", "/api/users/forget", email) == 1);

        await().atMost(WAIT).until(() -> audit(request).size() >= 6);
        List<String> steps = audit(request).stream()
                .map(entry -> entry.path("platform").asText() + ":" + entry.path("result").asText()).toList();
        assertThat(steps).contains("bridge:done", "emarsys:retrying", "emarsys:done", "sailthru:done", "iterable:done", "segment:skipped");
        assertThat(steps.indexOf("emarsys:retrying")).isLessThan(steps.indexOf("emarsys:done"));
        assertThat(audit(request)).allSatisfy(entry -> {
            assertThat(entry.path("subject").asText()).isEqualTo(subject);
            assertThat(entry.toString()).doesNotContain(email).doesNotContain(userId);
        });
        assertThat(bridge.metric("bridge_privacy_erasure_steps_total", Map.of("platform", "emarsys", "result", "retrying"))).isGreaterThanOrEqualTo(1);
        JsonNode byEmail = RunningBridge.json(bridge.get("/admin/privacy/audit?email=" + email, "Authorization", "Bearer " + ADMIN));
        assertThat(byEmail.path("count").asInt()).isEqualTo(audit(request).size());

        // Nothing personal is left in any table of the state database; only hashes remain.
        assertThat(storedRowsMentioning(email, userId)).isEmpty();

        // A late event for the erased person is acknowledged and goes nowhere: nobody is re-created.
        int upsertsBefore = requestsContaining(emarsys, "PUT", "/api/v2/contact/?create_if_not_exists=1", email);
        send(identify(userId, email, "\"plan\":\"late\""));
        Thread.sleep(QUIET.toMillis());
        assertThat(requestsContaining(emarsys, "PUT", "/api/v2/contact/?create_if_not_exists=1", email)).isEqualTo(upsertsBefore);
        assertThat(requestsContaining(iterable, "POST", "/api/users/update", "late")).isZero();
        assertThat(storedRowsMentioning(email, userId)).isEmpty();
    }

    // ---- helpers -------------------------------------------------------------------------------------------------------

    private static void send(String... events) {
        var response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static String identify(String userId, String email, String traits) {
        return "{\"type\":\"identify\",\"userId\":\"%s\",\"traits\":{\"email\":\"%s\",%s}}".formatted(userId, email, traits);
    }

    private static String track(String userId, String email, String event) {
        return "{\"type\":\"track\",\"userId\":\"%s\",\"event\":\"%s\",\"properties\":{},\"context\":{\"traits\":{\"email\":\"%s\"}}}"
                .formatted(userId, event, email);
    }

    private static java.net.http.HttpResponse<String> admin(String path, String body) {
        return bridge.post(path, body, "Content-Type", "application/json", "Authorization", "Bearer " + ADMIN);
    }

    private static void segmentWebhook(String body) {
        var response = bridge.post("/webhooks/segment", body, "Content-Type", "application/json",
                "X-Signature", Signed.segmentSignature(body, WEBHOOK_SECRET));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static void sailthruPostback(Map<String, String> params) {
        var response = bridge.post("/webhooks/sailthru", Signed.sailthruPostback(params, SAILTHRU_KEY, SAILTHRU_SECRET),
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static void iterableWebhook(String email, String eventName, String messageId) {
        String body = """
                {"email":"%s","eventName":"%s","dataFields":{"messageId":"%s","campaignId":12,"createdAt":"2026-11-20 10:00:00 +00:00"}}"""
                .formatted(email, eventName, messageId);
        var response = bridge.post("/webhooks/iterable", body, "Content-Type", "application/json", "Authorization", "Bearer " + ITERABLE_TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    /** Emarsys contacts written with this opt-in value (field 31: "1" in, "2" out). */
    private static int emarsysConsent(String email, String value) {
        int count = 0;
        for (LoggedRequest request : emarsys.findAll(anyRequestedFor(urlEqualTo("/api/v2/contact/?create_if_not_exists=1")))) {
            for (JsonNode contact : json(request.getBodyAsString()).path("contacts")) {
                if (contact.path("3").asText().equals(email) && contact.path("31").asText().equals(value)) {
                    count++;
                }
            }
        }
        return count;
    }

    private static int sailthruOptOuts(String email, String value) {
        return (int) sailthru.findAll(anyRequestedFor(urlEqualTo("/user"))).stream()
                .filter(request -> request.getMethod().getName().equals("POST"))
                .map(PrivacyTest::sailthruJson)
                .filter(json -> json.path("id").asText().equals(email) && json.path("optout_email").asText().equals(value))
                .count();
    }

    private static JsonNode sailthruJson(LoggedRequest request) {
        String form = request.getMethod().getName().equals("DELETE") ? request.getUrl().substring(request.getUrl().indexOf('?') + 1)
                : request.getBodyAsString();
        for (String pair : form.split("&")) {
            if (pair.startsWith("json=")) {
                return json(URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8));
            }
        }
        return json("{}");
    }

    /** Iterable unsubscribes of this person (one DELETE per message type). */
    private static int iterableUnsubscribes(String email) {
        return iterableSubscriptionCalls("DELETE", email);
    }

    /** Iterable re-subscriptions of this person (one PATCH per message type). */
    private static int iterableSubscribes(String email) {
        return iterableSubscriptionCalls("PATCH", email);
    }

    private static int iterableSubscriptionCalls(String method, String email) {
        String user = "/user/" + URLEncoder.encode(email, StandardCharsets.UTF_8);
        return (int) iterable.findAll(anyRequestedFor(urlMatching("/api/subscriptions/.*"))).stream()
                .filter(request -> request.getMethod().getName().equals(method) && request.getUrl().endsWith(user))
                .count();
    }

    private static int requestsContaining(WireMockServer server, String method, String url, String text) {
        return (int) server.findAll(anyRequestedFor(urlEqualTo(url))).stream()
                .filter(request -> request.getMethod().getName().equals(method))
                .filter(request -> URLDecoder.decode(request.getBodyAsString(), StandardCharsets.UTF_8).contains(text))
                .count();
    }

    /**
     * Waits until Segment's batches hold exactly this many events of the person. On a timeout the failure lists the
     * events that did arrive, so a missing one reads apart from one too many (a batch sent twice, say).
     */
    private static void awaitSegmentEvents(String email, int expected) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(segmentEvents(email)).as("Segment's events of " + email).hasSize(expected));
    }

    private static List<JsonNode> segmentEvents(String email) {
        List<JsonNode> events = new ArrayList<>();
        for (LoggedRequest request : segment.findAll(anyRequestedFor(urlEqualTo("/v1/batch")))) {
            json(request.getBodyAsString()).path("batch").forEach(event -> {
                if (email.equals(event.path("context").path("traits").path("email").asText())) {
                    events.add(event);
                }
            });
        }
        return events;
    }

    private static void assertConsent(String email, String state, String origin) {
        JsonNode consent = RunningBridge.json(bridge.get("/admin/privacy/consent?email=" + email, "Authorization", "Bearer " + ADMIN));
        assertThat(consent.path("state").asText()).as(consent.toString()).isEqualTo(state);
        assertThat(consent.path("origin").asText()).isEqualTo(origin);
    }

    private static List<JsonNode> audit(String request) {
        JsonNode reply = RunningBridge.json(bridge.get("/admin/privacy/audit?request=" + request, "Authorization", "Bearer " + ADMIN));
        List<JsonNode> entries = new ArrayList<>();
        reply.path("entries").forEach(entries::add);
        return entries;
    }

    private static double suppressed() {
        return bridge.metric("bridge_consent_suppressed_total", Map.of("reason", "unsubscribed"));
    }

    /** Rows of any table of the state database that mention one of these values. */
    private static List<String> storedRowsMentioning(String... values) throws Exception {
        StateStore store = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("stateStore", StateStore.class);
        List<String> found = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery(
                    // H2 names the schema and tables in upper case, PostgreSQL in lower case.
                    "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE UPPER(TABLE_SCHEMA) = 'PUBLIC' AND TABLE_TYPE = 'BASE TABLE'")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            assertThat(tables).map(table -> table.toUpperCase(java.util.Locale.ROOT))
                    .contains("PERSON", "DEAD_LETTER", "PENDING_EVENT", "CONSENT_STATE", "PRIVACY_AUDIT");
            for (String table : tables) {
                try (ResultSet rows = statement.executeQuery("SELECT * FROM \"" + table + "\"")) {
                    int columns = rows.getMetaData().getColumnCount();
                    while (rows.next()) {
                        for (int column = 1; column <= columns; column++) {
                            String cell = String.valueOf(rows.getObject(column)).toLowerCase(java.util.Locale.ROOT);
                            for (String value : values) {
                                if (cell.contains(value.toLowerCase(java.util.Locale.ROOT))) {
                                    found.add(table + ": " + cell);
                                }
                            }
                        }
                    }
                }
            }
        }
        return found;
    }

    private static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
