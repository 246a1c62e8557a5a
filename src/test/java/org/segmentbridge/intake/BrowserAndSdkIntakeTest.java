package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.support.RunningBridge;

/**
 * What Segment's SDKs send beyond the documented long paths: analytics.js' one-letter paths and its CORS requests,
 * compressed bodies, and the sender's address for {@code context.ip}. Two bridges: one on the defaults (any origin,
 * no trusted proxy), one restricted to an origin and behind a trusted proxy.
 */
class BrowserAndSdkIntakeTest {

    private static final String WRITE_KEY = "browser-write-key";
    private static final String SITE = "https://www.shop.example";
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "::1");

    private static RunningBridge open;
    private static RunningBridge restricted;

    @BeforeAll
    static void startBridges() {
        open = RunningBridge.start(Map.of("bridge.write-keys", WRITE_KEY));
        restricted = RunningBridge.start(Map.of("bridge.write-keys", WRITE_KEY,
                "bridge.intake.cors-allowed-origins", SITE + ", https://shop.example:8443",
                "bridge.intake.trusted-proxies", "127.0.0.1, ::1, 10.0.0.0/8"));
    }

    @AfterAll
    static void stopBridges() {
        open.close();
        restricted.close();
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    // ---- short paths -------------------------------------------------------------------------------------------

    /** Each one-letter path with the event a server SDK would send through its long form. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "i | identify | '\"userId\":\"u-i\",\"traits\":{\"email\":\"i@example.com\"}'",
            "t | track    | '\"userId\":\"u-t\",\"event\":\"Signed Up\",\"properties\":{\"plan\":\"pro\"}'",
            "p | page     | '\"anonymousId\":\"a-p\",\"name\":\"Home\",\"properties\":{\"path\":\"/\"}'",
            "s | screen   | '\"userId\":\"u-s\",\"name\":\"Settings\"'",
            "g | group    | '\"userId\":\"u-g\",\"groupId\":\"g-1\",\"traits\":{\"name\":\"Acme\"}'",
            "a | alias    | '\"userId\":\"u-a\",\"previousId\":\"a-1\"'"})
    void everyShortPathStoresItsCall(String shortPath, String type, String fields) {
        String messageId = newId();
        HttpResponse<String> response = open.postTracking("/v1/" + shortPath, WRITE_KEY,
                "{\"messageId\":\"" + messageId + "\"," + fields + "}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode stored = open.queuedWhere("segment", "messageId", messageId).get(0);
        assertThat(stored.path("type").asText()).isEqualTo(type);
    }

    @Test
    void shortBatchPathTakesTheWriteKeyFromATextPlainBodyAsAnalyticsJsSendsIt() {
        String first = newId();
        String second = newId();
        HttpResponse<String> response = open.post("/v1/b", """
                {"writeKey":"%s","batch":[
                  {"type":"track","messageId":"%s","anonymousId":"anon-b","event":"Product Viewed"},
                  {"type":"page","messageId":"%s","anonymousId":"anon-b","name":"Pricing"}]}
                """.formatted(WRITE_KEY, first, second), "Content-Type", "text/plain");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(open.queuedWhere("segment", "messageId", first)).hasSize(1);
        assertThat(open.queuedWhere("segment", "messageId", second).get(0).path("type").asText()).isEqualTo("page");
    }

    @Test
    void aShortPathKeepsTheLongPathsChecks() {
        HttpResponse<String> wrongType = open.postTracking("/v1/t", WRITE_KEY, "{\"type\":\"identify\",\"userId\":\"u-1\"}");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(wrongType.body()).contains("does not match the endpoint /v1/track");

        HttpResponse<String> noKey = open.post("/v1/i", "{\"userId\":\"u-1\"}", "Content-Type", "text/plain");
        assertThat(noKey.statusCode()).isEqualTo(401);

        HttpResponse<String> unknown = open.postTracking("/v1/x", WRITE_KEY, "{\"userId\":\"u-1\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("/v1/x").contains("i, t, p, s, g, a, b");
    }

    // ---- CORS ----------------------------------------------------------------------------------------------------

    @Test
    void preflightOfTheTrackingApiIsAnsweredForAnyOriginByDefault() {
        HttpResponse<String> preflight = open.send("OPTIONS", "/v1/t", "Origin", SITE,
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, authorization");

        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValueSatisfying(
                methods -> assertThat(methods).contains("POST"));
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).hasValueSatisfying(
                headers -> assertThat(headers.toLowerCase()).contains("content-type").contains("authorization"));
        assertThat(preflight.headers().firstValue("Access-Control-Max-Age")).hasValue("3600");
    }

    @Test
    void everyAnswerToAnAllowedOriginCarriesTheOriginHeaderErrorsIncluded() {
        String messageId = newId();
        HttpResponse<String> stored = open.post("/v1/t", "{\"writeKey\":\"" + WRITE_KEY + "\",\"messageId\":\"" + messageId
                + "\",\"anonymousId\":\"a-1\",\"event\":\"Clicked\"}", "Content-Type", "text/plain", "Origin", SITE);
        HttpResponse<String> unauthorized = open.post("/v1/t", "{\"anonymousId\":\"a-1\",\"event\":\"Clicked\"}",
                "Content-Type", "text/plain", "Origin", SITE);
        HttpResponse<String> invalid = open.post("/v1/t", "{not json", "Content-Type", "text/plain", "Origin", SITE);

        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(unauthorized.statusCode()).isEqualTo(401);
        assertThat(invalid.statusCode()).isEqualTo(400);
        for (HttpResponse<String> answer : new HttpResponse[] {stored, unauthorized, invalid}) {
            assertThat(answer.headers().firstValue("Access-Control-Allow-Origin")).as("answer %d", answer.statusCode()).hasValue("*");
            assertThat(answer.headers().firstValue("Origin")).as("request headers are not echoed").isEmpty();
        }
    }

    @Test
    void onlyTheTrackingApiAnswersCors() {
        for (String path : new String[] {"/webhooks/segment", "/webhooks/iterable", "/webhooks/sailthru", "/admin/dead-letters",
                "/observe/health"}) {
            HttpResponse<String> preflight = open.send("OPTIONS", path, "Origin", SITE, "Access-Control-Request-Method", "POST");
            assertThat(preflight.statusCode()).as(path).isNotEqualTo(204).isNotEqualTo(200);
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).as(path).isEmpty();
        }
        HttpResponse<String> webhook = open.post("/webhooks/segment", "{}", "Content-Type", "application/json", "Origin", SITE);
        assertThat(webhook.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void aListOfOriginsAllowsThoseAndRefusesOthersWithoutStoring() {
        HttpResponse<String> preflight = restricted.send("OPTIONS", "/v1/b", "Origin", SITE, "Access-Control-Request-Method", "POST");
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue(SITE);
        String allowedId = newId();
        HttpResponse<String> allowed = restricted.post("/v1/t", "{\"writeKey\":\"" + WRITE_KEY + "\",\"messageId\":\"" + allowedId
                + "\",\"anonymousId\":\"a-3\",\"event\":\"Clicked\"}", "Content-Type", "text/plain", "Origin", SITE);
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(SITE);
        // The answer depends on the origin: a cache in between must not hand it to another site.
        assertThat(allowed.headers().allValues("Vary")).anySatisfy(vary -> assertThat(vary).containsIgnoringCase("Origin"));
        assertThat(restricted.queuedWhere("segment", "messageId", allowedId)).hasSize(1);

        double refusedBefore = restricted.metric("bridge_intake_requests_refused_total", Map.of("reason", "cors_origin"));
        String messageId = newId();
        HttpResponse<String> elsewhere = restricted.post("/v1/t", "{\"writeKey\":\"" + WRITE_KEY + "\",\"messageId\":\"" + messageId
                + "\",\"anonymousId\":\"a-2\",\"event\":\"Clicked\"}", "Content-Type", "text/plain", "Origin", "https://evil.example");
        HttpResponse<String> elsewherePreflight = restricted.send("OPTIONS", "/v1/t", "Origin", "https://evil.example",
                "Access-Control-Request-Method", "POST");

        assertThat(elsewhere.statusCode()).isEqualTo(403);
        assertThat(elsewhere.body()).contains("https://evil.example").contains("bridge.intake.cors-allowed-origins");
        assertThat(elsewhere.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        assertThat(elsewherePreflight.statusCode()).isEqualTo(403);
        assertThat(restricted.queuedWhere("segment", "messageId", messageId)).isEmpty();
        assertThat(restricted.metric("bridge_intake_requests_refused_total", Map.of("reason", "cors_origin")))
                .isEqualTo(refusedBefore + 2);

        // A server SDK sends no Origin: the list does not concern it.
        String serverMessageId = newId();
        assertThat(restricted.postTracking("/v1/track", WRITE_KEY, "{\"messageId\":\"" + serverMessageId
                + "\",\"userId\":\"u-9\",\"event\":\"Invoice Paid\"}").statusCode()).isEqualTo(200);
        assertThat(restricted.queuedWhere("segment", "messageId", serverMessageId)).hasSize(1);
    }

    @Test
    void anOriginOrProxyThatIsNotOneStopsTheStartNamingTheSetting() {
        assertThatThrownBy(() -> RunningBridge.start(Map.of("bridge.intake.cors-allowed-origins", "www.shop.example")))
                .hasStackTraceContaining("bridge.intake.cors-allowed-origins: 'www.shop.example' is not an origin");
        assertThatThrownBy(() -> RunningBridge.start(Map.of("bridge.intake.trusted-proxies", "proxy.internal")))
                .hasStackTraceContaining("bridge.intake.trusted-proxies: 'proxy.internal' is not an IP address or network");
    }

    // ---- compressed bodies ---------------------------------------------------------------------------------------

    @Test
    void gzipAndDeflateBatchesAreDecoded() throws IOException {
        String gzipped = newId();
        String deflated = newId();
        HttpResponse<String> gzip = open.postBytes("/v1/batch", gzip(batchOf(gzipped)), "Content-Type", "application/json",
                "Content-Encoding", "gzip", "Authorization", RunningBridge.basic(WRITE_KEY));
        HttpResponse<String> deflate = open.postBytes("/v1/batch", deflate(batchOf(deflated)), "Content-Type", "application/json",
                "Content-Encoding", "deflate", "Authorization", RunningBridge.basic(WRITE_KEY));

        assertThat(gzip.statusCode()).as(gzip.body()).isEqualTo(200);
        assertThat(deflate.statusCode()).as(deflate.body()).isEqualTo(200);
        assertThat(open.queuedWhere("segment", "messageId", gzipped)).hasSize(1);
        assertThat(open.queuedWhere("segment", "messageId", deflated)).hasSize(1);
    }

    @Test
    void aGzipBombIsRefusedWithoutInflatingPastTheLimit() throws IOException {
        // 100 MB of zeros in a JSON string compresses to about 100 KB; streamed so the test holds none of it.
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write("{\"batch\":[{\"type\":\"track\",\"event\":\"".getBytes(StandardCharsets.US_ASCII));
            byte[] zeros = new byte[1024 * 1024];
            java.util.Arrays.fill(zeros, (byte) '0');
            for (int megabyte = 0; megabyte < 100; megabyte++) {
                gzip.write(zeros);
            }
            gzip.write("\"}]}".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(compressed.size()).isLessThan(200_000);

        HttpResponse<String> answer = open.postBytes("/v1/batch", compressed.toByteArray(), "Content-Type", "application/json",
                "Content-Encoding", "gzip", "Authorization", RunningBridge.basic(WRITE_KEY));

        // That the bomb is not inflated past the limit is measured in BodyEncodingTest (bytes allocated).
        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(answer.body()).contains("decoded body").contains("bridge.intake.max-batch-bytes");
        assertThat(open.postTracking("/v1/track", WRITE_KEY, "{\"userId\":\"u-after\",\"event\":\"Still Open\"}").statusCode())
                .isEqualTo(200);
    }

    @Test
    void anUnknownOrBrokenEncodingIsNamed() {
        HttpResponse<String> brotli = open.postBytes("/v1/track", new byte[] {1, 2, 3}, "Content-Type", "application/json",
                "Content-Encoding", "br", "Authorization", RunningBridge.basic(WRITE_KEY));
        HttpResponse<String> broken = open.postBytes("/v1/track", "{\"userId\":\"u\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "Content-Encoding", "gzip", "Authorization", RunningBridge.basic(WRITE_KEY));

        assertThat(brotli.statusCode()).isEqualTo(415);
        assertThat(brotli.body()).contains("Content-Encoding br").contains("gzip or deflate");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(broken.body()).contains("not valid gzip");
    }

    // ---- context.ip ----------------------------------------------------------------------------------------------

    @Test
    void contextIpIsTheSendersAddressUnlessTheEventHasOne() {
        String filled = newId();
        String kept = newId();
        open.postTracking("/v1/track", WRITE_KEY, "{\"messageId\":\"" + filled + "\",\"userId\":\"u-1\",\"event\":\"A\","
                + "\"context\":{\"userAgent\":\"Mozilla/5.0\",\"page\":{\"url\":\"https://www.shop.example/\"}}}");
        open.post("/v1/track", "{\"messageId\":\"" + kept + "\",\"userId\":\"u-1\",\"event\":\"B\",\"context\":{\"ip\":\"198.51.100.4\"}}",
                "Content-Type", "application/json", "Authorization", RunningBridge.basic(WRITE_KEY), "X-Forwarded-For", "203.0.113.9");

        JsonNode context = open.queuedWhere("segment", "messageId", filled).get(0).path("context");
        assertThat(context.path("ip").asText()).isIn(LOOPBACK);
        assertThat(context.path("userAgent").asText()).isEqualTo("Mozilla/5.0");
        assertThat(context.path("page").path("url").asText()).isEqualTo("https://www.shop.example/");
        assertThat(open.queuedWhere("segment", "messageId", kept).get(0).path("context").path("ip").asText()).isEqualTo("198.51.100.4");
    }

    @Test
    void xForwardedForCountsOnlyFromATrustedProxy() {
        String untrusted = newId();
        String proxied = newId();
        open.post("/v1/track", "{\"messageId\":\"" + untrusted + "\",\"userId\":\"u-1\",\"event\":\"A\"}",
                "Content-Type", "application/json", "Authorization", RunningBridge.basic(WRITE_KEY), "X-Forwarded-For", "203.0.113.9");
        // The peer (loopback) and 10.1.2.3 are trusted proxies; the nearest address before them is the device's.
        restricted.post("/v1/track", "{\"messageId\":\"" + proxied + "\",\"userId\":\"u-1\",\"event\":\"A\"}",
                "Content-Type", "application/json", "Authorization", RunningBridge.basic(WRITE_KEY),
                "X-Forwarded-For", "192.0.2.1, 203.0.113.9, 10.1.2.3");

        assertThat(open.queuedWhere("segment", "messageId", untrusted).get(0).path("context").path("ip").asText()).isIn(LOOPBACK);
        assertThat(restricted.queuedWhere("segment", "messageId", proxied).get(0).path("context").path("ip").asText())
                .isEqualTo("203.0.113.9");
    }

    private static byte[] batchOf(String messageId) {
        return ("{\"batch\":[{\"type\":\"track\",\"messageId\":\"" + messageId + "\",\"userId\":\"u-z\",\"event\":\"Zipped\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(body);
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflate = new DeflaterOutputStream(out, new Deflater())) {
            deflate.write(body);
        }
        return out.toByteArray();
    }
}
