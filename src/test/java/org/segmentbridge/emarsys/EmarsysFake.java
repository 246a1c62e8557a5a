package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.segmentbridge.support.RunningBridge;

/**
 * A WireMock Emarsys Core API v2 with an account's fields, external events and one list, and a bridge running the
 * shipped {@code routes/emarsys} and {@code mappings} against it.
 */
final class EmarsysFake implements AutoCloseable {

    static final String API_USER = "bridge_api_user";
    static final String API_SECRET = "emarsys-secret-value";
    static final String WRITE_KEY = "emarsys-write-key";
    static final String ADMIN_TOKEN = "emarsys-admin-token";
    static final String WEBHOOK_SECRET = "emarsys-webhook-secret";
    static final String OK = "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{}}";

    private static final Pattern WSSE = Pattern.compile(
            "UsernameToken Username=\"(.+)\", PasswordDigest=\"(.+)\", Nonce=\"([0-9a-f]{32})\", Created=\"(.+)\"");

    final WireMockServer emarsys = new WireMockServer(options().dynamicPort());
    final RunningBridge bridge;

    EmarsysFake(Map<String, String> moreSettings) {
        this(baseUrl -> moreSettings);
    }

    /** @param moreSettings settings given the fake's base URL (for settings that point at it, like a token URL) */
    EmarsysFake(java.util.function.Function<String, Map<String, String>> moreSettings) {
        emarsys.start();
        accountDefaults();
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "bridge.destinations", "emarsys",
                "bridge.write-keys", WRITE_KEY,
                "bridge.admin-token", ADMIN_TOKEN,
                "bridge.webhook.segment-secret", WEBHOOK_SECRET,
                "camel.main.routesIncludePattern", "file:routes/emarsys/*.yaml",
                "bridge.destination.emarsys.base-url", emarsys.baseUrl() + "/api/v2",
                "bridge.destination.emarsys.api-user", API_USER,
                "bridge.destination.emarsys.api-secret", API_SECRET,
                "bridge.destination.emarsys.batch.flush", "300ms",
                "bridge.destination.emarsys.retry.initial-delay", "200ms"));
        // The tests pin which items share a request: batches go only when full or flushed.
        settings.put("bridge.destination.emarsys.batch.linger", "300ms");
        settings.putAll(moreSettings.apply(emarsys.baseUrl()));
        bridge = RunningBridge.start(settings);
    }

    /** The account: custom fields, external events and a VIP list; every write answered replyCode 0. */
    void accountDefaults() {
        emarsys.resetAll();
        emarsys.stubFor(get(urlEqualTo("/api/v2/field")).willReturn(okJson("""
                {"replyCode":0,"replyText":"OK","data":[
                  {"id":1,"name":"First Name","application_type":"shorttext"},
                  {"id":8001,"name":"last_order_date","application_type":"date"},
                  {"id":8002,"name":"last_order_value","application_type":"numeric"},
                  {"id":8003,"name":"vip","application_type":"singlechoice"}]}""")));
        emarsys.stubFor(get(urlEqualTo("/api/v2/event")).willReturn(okJson("""
                {"replyCode":0,"replyText":"OK","data":[
                  {"id":"501","name":"signed_up"},{"id":"502","name":"checkout_started"},
                  {"id":"503","name":"premium_product_viewed"},{"id":"504","name":"order_completed"},
                  {"id":"505","name":"vip_entered"}]}""")));
        emarsys.stubFor(get(urlEqualTo("/api/v2/contactlist")).willReturn(okJson("""
                {"replyCode":0,"replyText":"OK","data":[{"id":"701","name":"VIP"}]}""")));
        emarsys.stubFor(post(urlEqualTo("/api/v2/contactlist")).willReturn(okJson(
                "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"id\":702}}").withFixedDelay(300)));
        emarsys.stubFor(put(urlEqualTo("/api/v2/contact/?create_if_not_exists=1")).atPriority(10).willReturn(okJson(OK)));
        emarsys.stubFor(post(urlMatching("/api/v2/(event/\\d+/trigger|contactlist/\\d+/(add|delete)|contact/delete)"))
                .atPriority(10).willReturn(okJson(OK)));
    }

    /** Sends events through /v1/batch: they are queued together, in this order. */
    void send(String... events) {
        var response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    List<LoggedRequest> requests(String method, String url) {
        return emarsys.findAll(anyRequestedFor(urlEqualTo(url))).stream()
                .filter(request -> request.getMethod().getName().equals(method))
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    List<JsonNode> bodies(String method, String url) {
        return requests(method, url).stream().map(request -> json(request.getBodyAsString())).toList();
    }

    /** Every request carried a valid WSSE header for the API user, with its own nonce, created within 5 minutes. */
    void assertEveryRequestIsWsseSigned() {
        java.util.Set<String> nonces = new java.util.HashSet<>();
        List<LoggedRequest> all = emarsys.findAll(anyRequestedFor(urlMatching("/api/v2/.*")));
        assertThat(all).isNotEmpty();
        for (LoggedRequest request : all) {
            Matcher header = WSSE.matcher(request.getHeader("X-WSSE"));
            assertThat(header.matches()).as("X-WSSE of %s %s", request.getMethod(), request.getUrl()).isTrue();
            assertThat(header.group(1)).isEqualTo(API_USER);
            assertThat(header.group(2)).as("digest").isEqualTo(WsseAuth.passwordDigest(header.group(3), header.group(4), API_SECRET));
            assertThat(Duration.between(Instant.parse(header.group(4)), Instant.now()).abs()).isLessThan(Duration.ofMinutes(5));
            assertThat(nonces.add(header.group(3))).as("a fresh nonce per request").isTrue();
        }
    }

    List<JsonNode> deadLetters(String messageId) {
        return bridge.deadLetters("emarsys", messageId, ADMIN_TOKEN);
    }

    static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static void answer(WireMockServer server, com.github.tomakehurst.wiremock.client.MappingBuilder request, int status, String body) {
        server.stubFor(request.atPriority(1).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(body)));
    }

    @Override
    public void close() {
        try {
            bridge.close();
        } finally {
            emarsys.stop();
        }
    }
}
