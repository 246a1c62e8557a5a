package org.segmentbridge.sailthru;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;

/** The shipped Sailthru routes end to end against a fake Sailthru, every call's signature recomputed here. */
class SailthruRoutesTest {

    private static final String API_KEY = "sailthru-key";
    private static final String SECRET = "sailthru-secret";
    private static final String WRITE_KEY = "sailthru-write-key";
    private static final String ADMIN = "sailthru-admin";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static final WireMockServer sailthru = new WireMockServer(options().dynamicPort());
    private static RunningBridge bridge;

    @BeforeAll
    static void start() {
        sailthru.start();
        bridge = RunningBridge.start(Map.of(
                "bridge.destinations", "sailthru",
                "bridge.write-keys", WRITE_KEY,
                "bridge.admin-token", ADMIN,
                "camel.main.routesIncludePattern", "file:routes/sailthru/*.yaml",
                "bridge.destination.sailthru.base-url", sailthru.baseUrl(),
                "bridge.destination.sailthru.api-key", API_KEY,
                "bridge.destination.sailthru.api-secret", SECRET,
                "bridge.destination.sailthru.retry.initial-delay", "200ms",
                "bridge.sailthru.product-url-pattern", "https://shop.example.com/p/{product_id}"));
    }

    @AfterAll
    static void stop() {
        bridge.close();
        sailthru.stop();
    }

    @BeforeEach
    void sailthruAcceptsEverything() {
        sailthru.resetAll();
        sailthru.stubFor(post(urlMatching("/(user|event|purchase)")).atPriority(10).willReturn(okJson("{\"ok\":true}")));
        sailthru.stubFor(delete(urlPathEqualTo("/user")).atPriority(10).willReturn(okJson("{\"ok\":true}")));
    }

    private static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void send(String... events) {
        var response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    /** The parameters of a call, from its form body (POST) or query string, after checking its signature. */
    private static Map<String, String> signedParams(LoggedRequest request) {
        String encoded = request.getMethod().getName().equals("POST") ? request.getBodyAsString()
                : request.getUrl().substring(request.getUrl().indexOf('?') + 1);
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            int equals = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
        assertThat(params).containsEntry("api_key", API_KEY).containsEntry("format", "json");
        List<String> values = new ArrayList<>(params.values());
        values.remove(params.get("sig"));
        java.util.Collections.sort(values);
        try {
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                    .digest((SECRET + String.join("", values)).getBytes(StandardCharsets.UTF_8)));
            assertThat(params.get("sig")).as("sig of %s %s", request.getMethod(), request.getUrl()).isEqualTo(expected);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        return params;
    }

    /** The json payloads Sailthru received at one endpoint (path without query), oldest first, each signature checked. */
    private static List<JsonNode> payloads(String method, String path, String containing) {
        return sailthru.findAll(anyRequestedFor(urlPathEqualTo(path))).stream()
                .filter(request -> request.getMethod().getName().equals(method))
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(request -> json(signedParams(request).get("json")))
                .filter(payload -> payload.toString().contains(containing)).toList();
    }

    private static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<JsonNode> deadLetters(String messageId) {
        return bridge.deadLetters("sailthru", messageId, ADMIN);
    }

    @Test
    void identifyUpsertsTheUserWithFlattenedVarsAndMergesTheUserIdAsExtid() {
        String email = id("ann") + "@example.com";
        String user = id("user");

        send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"anonymousId\":\"anon-1\",\"traits\":{\"email\":\"" + email + "\","
                + "\"firstName\":\"Ann\",\"address\":{\"city\":\"London\"},\"favoriteTags\":[\"trail\",\"road\"],\"unsubscribed\":false}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/user", email).size() == 1);
        assertThat(payloads("POST", "/user", email).get(0)).isEqualTo(json("""
                {"id":"%s","key":"email","keys":{"extid":"%s"},"keysconflict":"merge",
                 "vars":{"first_name":"Ann","address_city":"London","favorite_tags_0":"trail","favorite_tags_1":"road"}}""".formatted(email, user)));
    }

    @Test
    void tracksFollowTheRuleTableWithPersonalDataKeptOutOfVars() {
        String email = id("rules") + "@example.com";
        String context = ",\"context\":{\"traits\":{\"email\":\"" + email + "\"}}";

        send("{\"type\":\"track\",\"event\":\"Signed Up\",\"userId\":\"u-rules\",\"properties\":{\"plan\":\"gold\",\"email\":\"x@y.z\","
                        + "\"phone\":\"123\",\"referrer\":{\"source\":\"ads\"}}" + context + "}",
                "{\"type\":\"track\",\"event\":\"Checkout Started\",\"userId\":\"u-rules\",\"properties\":{\"value\":20}" + context + "}",
                "{\"type\":\"track\",\"event\":\"Video Played\",\"userId\":\"u-rules\",\"properties\":{}" + context + "}");

        await().atMost(WAIT).until(() -> payloads("POST", "/event", email).size() == 1);
        assertThat(payloads("POST", "/event", email).get(0)).isEqualTo(json("""
                {"id":"%s","key":"email","event":"signed_up","vars":{"plan":"gold","referrer_source":"ads"}}""".formatted(email)));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> payloads("POST", "/event", email).size() == 1);
    }

    @Test
    void orderCompletedIsAPurchaseInCentsWithAdjustmentsKeysAndAttribution() {
        String email = id("buyer") + "@example.com";

        send("{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"" + id("u") + "\",\"properties\":{\"order_id\":\"ORD-7\","
                + "\"total\":136.49,\"shipping\":4.99,\"tax\":12.5,\"discount\":10,\"sailthru_bid\":\"bid-123\",\"products\":["
                + "{\"product_id\":\"p-1\",\"sku\":\"SKU-1\",\"name\":\"Shoe\",\"price\":119.99,\"quantity\":1,\"category\":\"Shoes\","
                + "\"url\":\"https://shop.example.com/shoe\",\"image_url\":\"https://cdn.example.com/shoe.jpg\"},"
                + "{\"product_id\":\"p-2\",\"name\":\"Socks\",\"price\":\"9.5\",\"quantity\":2}]},"
                + "\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/purchase", email).size() == 1);
        assertThat(payloads("POST", "/purchase", email).get(0)).isEqualTo(json("""
                {"email":"%s","items":[
                   {"qty":1,"title":"Shoe","price":11999,"id":"SKU-1","url":"https://shop.example.com/shoe","tags":["Shoes"],
                    "images":{"full":{"url":"https://cdn.example.com/shoe.jpg"}}},
                   {"qty":2,"title":"Socks","price":950,"id":"p-2","url":"https://shop.example.com/p/p-2"}],
                 "incomplete":0,
                 "adjustments":[{"title":"Shipping","price":499},{"title":"Tax","price":1250},{"title":"Discount","price":-1000}],
                 "purchase_keys":{"extid":"ORD-7"},"message_id":"bid-123"}""".formatted(email)));
    }

    @Test
    void purchaseOfAPersonTheBridgeDoesNotKnowTakesTheEmailFromSailthru() {
        String user = id("unknown-buyer");
        sailthru.stubFor(get(urlPathEqualTo("/user")).willReturn(okJson("{\"keys\":{\"email\":\"looked.up@example.com\",\"extid\":\"" + user + "\"}}")));

        send("{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"" + user + "\",\"properties\":{\"order_id\":\"ORD-8\","
                + "\"products\":[{\"product_id\":\"p-9\",\"name\":\"Hat\",\"price\":20,\"quantity\":1}]}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/purchase", "ORD-8").size() == 1);
        assertThat(payloads("GET", "/user", user)).containsExactly(json("{\"id\":\"" + user + "\",\"key\":\"extid\",\"fields\":{\"keys\":1}}"));
        assertThat(payloads("POST", "/purchase", "ORD-8").get(0).path("email").asText()).isEqualTo("looked.up@example.com");
    }

    @Test
    void cartEventsAreIncompletePurchases() {
        String email = id("cart") + "@example.com";

        send("{\"type\":\"track\",\"event\":\"Product Added\",\"userId\":\"" + id("u") + "\",\"properties\":{\"product_id\":\"p-3\","
                + "\"name\":\"Bag\",\"price\":35,\"quantity\":1},\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/purchase", email).size() == 1);
        assertThat(payloads("POST", "/purchase", email).get(0)).isEqualTo(json("""
                {"email":"%s","items":[{"qty":1,"title":"Bag","price":3500,"id":"p-3","url":"https://shop.example.com/p/p-3"}],
                 "incomplete":1}""".formatted(email)));
    }

    @Test
    void audiencesAddAndRemoveListsAndComputedTraitsBecomeVars() {
        String email = id("aud") + "@example.com";
        String user = id("u");
        send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + email + "\",\"winback\":true},"
                        + "\"context\":{\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"winback\"}}}",
                "{\"type\":\"track\",\"event\":\"Audience Exited\",\"userId\":\"" + user + "\",\"properties\":{\"audience_key\":\"winback\"},"
                        + "\"context\":{\"traits\":{\"email\":\"" + email + "\"},\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"winback\"}}}",
                "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + email + "\",\"preferred_send_hour\":9},"
                        + "\"context\":{\"personas\":{\"computation_class\":\"trait\",\"computation_key\":\"preferred_send_hour\"}}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/user", "lists").size() == 2
                && payloads("POST", "/user", "preferred_send_hour").size() >= 1);
        assertThat(payloads("POST", "/user", "lists")).extracting(payload -> payload.path("lists"))
                .containsExactly(json("{\"winback\":1}"), json("{\"winback\":0}"));
        assertThat(payloads("POST", "/user", "preferred_send_hour")).allSatisfy(payload ->
                assertThat(payload.path("vars").path("preferred_send_hour").asInt()).isEqualTo(9));
    }

    @Test
    void optOutSetsOptoutEmailAndOnlyAnExplicitConsentClearsIt() {
        String email = id("consent") + "@example.com";
        String user = id("u");

        send("{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + email + "\",\"unsubscribed\":true}}",
                "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + email + "\",\"newsletter\":true}}",
                "{\"type\":\"track\",\"event\":\"Subscribed\",\"userId\":\"" + user + "\",\"properties\":{},\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/user", "optout_email").size() == 2);
        assertThat(payloads("POST", "/user", "optout_email")).extracting(payload -> payload.path("optout_email").asText())
                .containsExactly("all", "none");
    }

    @Test
    void deletionDeletesTheUser() {
        String email = id("erase") + "@example.com";

        send("{\"type\":\"track\",\"event\":\"User Deleted\",\"userId\":\"" + id("u") + "\",\"properties\":{},"
                + "\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}");

        await().atMost(WAIT).until(() -> payloads("DELETE", "/user", email).size() == 1);
        assertThat(payloads("DELETE", "/user", email).get(0)).isEqualTo(json("{\"id\":\"" + email + "\",\"key\":\"email\"}"));
    }

    @Test
    void errorInsideA200DeadLettersAndError43IsRetried() {
        String invalid = id("invalid") + "@example.com";
        String limited = id("limited") + "@example.com";
        String invalidMessage = id("m");
        sailthru.stubFor(post(urlEqualTo("/user")).atPriority(1).withRequestBody(containing(invalid.replace("@", "%40")))
                .willReturn(okJson("{\"error\":11,\"errormsg\":\"Invalid email: " + invalid + "\"}")));
        sailthru.stubFor(post(urlEqualTo("/user")).atPriority(1).withRequestBody(containing(limited.replace("@", "%40")))
                .inScenario("43").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("ok")
                .willReturn(aResponse().withStatus(429).withBody("{\"error\":43,\"errormsg\":\"Too many POST requests this minute to /user API\"}")));

        send("{\"type\":\"identify\",\"messageId\":\"" + invalidMessage + "\",\"userId\":\"" + id("u") + "\",\"traits\":{\"email\":\"" + invalid + "\"}}",
                "{\"type\":\"identify\",\"userId\":\"" + id("u") + "\",\"traits\":{\"email\":\"" + limited + "\"}}");

        await().atMost(WAIT).until(() -> deadLetters(invalidMessage).size() == 1);
        assertThat(deadLetters(invalidMessage).get(0).path("code").asText()).isEqualTo("11");
        assertThat(deadLetters(invalidMessage).get(0).path("reason").asText()).isEqualTo("error 11: Invalid email: " + invalid);
        await().atMost(WAIT).until(() -> payloads("POST", "/user", limited).size() == 2);
    }

    @Test
    void anExhaustedEndpointWaitsForItsResetWhileOtherEndpointsGoOn() {
        String email = id("paced") + "@example.com";
        String context = ",\"context\":{\"traits\":{\"email\":\"" + email + "\"}}";
        long reset = java.time.Instant.now().getEpochSecond() + 2;
        sailthru.stubFor(post(urlEqualTo("/event")).atPriority(1).withRequestBody(containing("first"))
                .willReturn(okJson("{\"ok\":true}").withHeader("X-Rate-Limit-Limit", "40").withHeader("X-Rate-Limit-Remaining", "0")
                        .withHeader("X-Rate-Limit-Reset", Long.toString(reset))));

        send("{\"type\":\"track\",\"event\":\"Signed Up\",\"userId\":\"pacer-1\",\"properties\":{\"n\":\"first\"}" + context + "}");
        await().atMost(WAIT).until(() -> payloads("POST", "/event", "first").size() == 1);
        send("{\"type\":\"track\",\"event\":\"Signed Up\",\"userId\":\"pacer-2\",\"properties\":{\"n\":\"second\"}" + context + "}",
                "{\"type\":\"identify\",\"userId\":\"pacer-3\",\"traits\":{\"email\":\"" + email + "\"}}");

        await().atMost(WAIT).until(() -> payloads("POST", "/event", "second").size() == 1);
        long secondAt = sailthru.findAll(anyRequestedFor(urlEqualTo("/event"))).stream()
                .filter(request -> request.getBodyAsString().contains("second")).findFirst().orElseThrow().getLoggedDate().getTime();
        long userAt = sailthru.findAll(anyRequestedFor(urlEqualTo("/user"))).stream()
                .filter(request -> request.getBodyAsString().contains("pacer-3")).findFirst().orElseThrow().getLoggedDate().getTime();
        assertThat(secondAt).as("the exhausted /event waits for its reset").isGreaterThanOrEqualTo(reset * 1000 - 50);
        assertThat(userAt).as("/user is not held up by /event").isLessThan(reset * 1000 - 500);
    }
}
