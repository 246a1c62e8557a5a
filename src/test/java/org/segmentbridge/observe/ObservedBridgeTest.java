package org.segmentbridge.observe;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;
import org.segmentbridge.support.TestHttp;

/**
 * The packaged way to run the bridge (its own process, the shipped routes and settings, JSON logs) with Iterable
 * faked by WireMock and the other destinations in dry-run. One event is delivered, one is refused for good and
 * dead-lettered, one is paused by a 429, a person is erased, a request is refused: then every metric the alert rules
 * and the dashboard under {@code ops/} read is on /observe/metrics, and every log line is one JSON object carrying
 * the ids of what it is about and no secret or personal data.
 */
class ObservedBridgeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String WRITE_KEY = "wk-" + UUID.randomUUID();
    private static final String ADMIN_TOKEN = "admin-" + UUID.randomUUID();
    private static final String ITERABLE_KEY = "iterable-key-" + UUID.randomUUID();
    private static final String EMAIL = "observed-" + RUN + "@example.com";
    private static final String ERASED_EMAIL = "erased-" + RUN + "@example.com";
    private static final String DELIVERED = "delivered-" + RUN;
    private static final String REFUSED = "refused-" + RUN;
    private static final String PAUSED = "paused-" + RUN;
    private static final HttpClient HTTP = TestHttp.client(Duration.ofSeconds(5));

    private static WireMockServer iterable;
    private static BridgeProcess bridge;
    private static int httpPort;
    private static int managementPort;
    private static String metrics;
    private static String logs;

    @BeforeAll
    static void runTheBridgeThroughItsPaces() throws Exception {
        iterable = new WireMockServer(options().dynamicPort());
        iterable.start();
        iterable.stubFor(any(anyUrl()).atPriority(10).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\"}")));
        // Refused for good, quoting the person's email: dead-lettered at once (a WARN line).
        iterable.stubFor(post(urlEqualTo("/api/events/track")).withRequestBody(containing(REFUSED)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"msg\":\"Invalid email " + EMAIL + "\",\"code\":\"InvalidEmailAddressError\"}")));
        // A 429 first, which pauses the credential for its Retry-After; the retry is taken.
        iterable.stubFor(post(urlEqualTo("/api/events/track")).withRequestBody(containing(PAUSED)).atPriority(1)
                .inScenario("pause").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("paused")
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1").withHeader("Content-Type", "application/json")
                        .withBody("{\"msg\":\"slow down\",\"code\":\"RateLimitExceeded\"}")));

        Path dataDir = TestFolders.create("bridge-observed-");
        httpPort = RunningBridge.freePort();
        managementPort = RunningBridge.freePort();
        Map<String, String> environment = new HashMap<>(Map.of(
                "BRIDGE_HTTP_PORT", Integer.toString(httpPort),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort),
                "BRIDGE_DATA_DIR", dataDir.toString(),
                "BRIDGE_LOG_FORMAT", "json",
                "BRIDGE_WRITE_KEYS", WRITE_KEY,
                "BRIDGE_ADMIN_TOKEN", ADMIN_TOKEN,
                "ITERABLE_API_URL", iterable.baseUrl(),
                "ITERABLE_API_KEY", ITERABLE_KEY,
                "BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES", "101"));
        environment.putAll(TestStateDatabase.environmentFor(dataDir));
        // The project folder: the shipped application.properties, routes/ and mappings/.
        bridge = BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(), Path.of("").toAbsolutePath(), environment, managementPort);
        bridge.awaitHealthy(Duration.ofSeconds(90));

        assertThat(track("/v1/identify", WRITE_KEY, "{\"userId\":\"u-" + RUN + "\",\"messageId\":\"" + DELIVERED
                + "\",\"traits\":{\"email\":\"" + EMAIL + "\",\"plan\":\"gold\"}}")).isEqualTo(200);
        assertThat(track("/v1/track", WRITE_KEY, trackEvent(REFUSED, "Refused Event"))).isEqualTo(200);
        assertThat(track("/v1/track", WRITE_KEY, trackEvent(PAUSED, "Paused Event"))).isEqualTo(200);
        assertThat(track("/v1/track", "not-" + WRITE_KEY, trackEvent("unauthorized-" + RUN, "Never Stored"))).isEqualTo(401);
        HttpResponse<String> erasure = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + "/admin/privacy/delete"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + ERASED_EMAIL + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(erasure.statusCode()).as(erasure.body()).isEqualTo(202);

        await().atMost(WAIT).untilAsserted(() -> {
            iterable.verify(postRequestedFor(urlEqualTo("/api/users/update")).withRequestBody(containing(EMAIL)));
            iterable.verify(2, postRequestedFor(urlEqualTo("/api/events/track")).withRequestBody(containing(PAUSED)));
            iterable.verify(postRequestedFor(urlEqualTo("/api/users/forget")).withRequestBody(containing(ERASED_EMAIL)));
            assertThat(metric("bridge_delivery_items_total{action=\"event\",destination=\"iterable\",outcome=\"dead_lettered\"}"))
                    .isEqualTo(1);
            assertThat(metric("bridge_privacy_erasure_steps_total{platform=\"iterable\",result=\"done\"}")).isEqualTo(1);
            // The dry-run destinations log each request they record; Emarsys batches, so its line can come last.
            assertThat(jsonLines(bridge.output()).stream().map(ObservedBridgeTest::mdc)
                    .filter(mdc -> DELIVERED.equals(mdc.get("messageId"))).map(mdc -> mdc.get("destination")))
                    .contains("sailthru", "emarsys");
        });
        metrics = scrape();
        logs = bridge.output();
    }

    @AfterAll
    static void stop() throws Exception {
        if (bridge != null) {
            bridge.close();
        }
        if (iterable != null) {
            iterable.stop();
        }
    }

    @Test
    void everyMetricTheAlertsAndTheDashboardReadIsExported() {
        Set<String> exported = metrics.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> line.split("[{ ]", 2)[0]).collect(Collectors.toSet());
        Map<String, List<String>> read = MonitoringFiles.metricsRead();

        assertThat(read.keySet()).as("metrics the alerts and the dashboard read")
                .contains("bridge_health_up", "bridge_delivery_paused_seconds", "bridge_privacy_erasure_retrying_seconds",
                        "bridge_intake_requests_refused_total", "bridge_delivery_items_total", "jvm_memory_used_bytes");
        Map<String, List<String>> missing = new TreeMap<>(read);
        missing.keySet().removeAll(exported);
        assertThat(missing).as("metrics read by ops/ (with where) that /observe/metrics does not export").isEmpty();
    }

    @Test
    void theNewMetricsTellHealthPausesAndErasureRetries() {
        assertThat(metrics).contains("bridge_health_up 1.0", "bridge_privacy_erasure_retrying_seconds 0.0",
                "bridge_delivery_paused_seconds{destination=\"iterable\"}", "bridge_delivery_rate_limited_total{action=\"event\",destination=\"iterable\"} 1.0",
                "bridge_intake_requests_refused_total{reason=\"memory\"} 0.0",
                "bridge_privacy_erasure_steps_total{platform=\"sailthru\",result=\"failed\"} 0.0");
    }

    @Test
    void everyLineIsOneJsonObject() {
        List<JsonNode> lines = jsonLines();

        assertThat(lines).as("log lines").hasSizeGreaterThan(10);
        assertThat(lines).allSatisfy(line -> assertThat(line.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR"));
        assertThat(lines).anySatisfy(line -> assertThat(line.path("formattedMessage").asText()).contains("Intake admits"));
    }

    @Test
    void theDeadLetterWarningCarriesTheEventsIdsDestinationRouteAndAction() {
        List<JsonNode> warnings = jsonLines().stream().filter(line -> line.path("formattedMessage").asText().contains(REFUSED)).toList();

        assertThat(warnings).as("lines that name the refused event").isNotEmpty().allSatisfy(line -> {
            assertThat(line.path("level").asText()).isEqualTo("WARN");
            assertThat(line.path("formattedMessage").asText()).contains("dead-lettered event for messageId " + REFUSED)
                    .as("the vendor's message, without the email it quotes").endsWith("InvalidEmailAddressError: Invalid email [email]");
            assertThat(mdc(line)).containsEntry("messageId", REFUSED).containsEntry("destination", "iterable")
                    .containsEntry("route", "iterable-custom-events").containsEntry("action", "event");
        });
    }

    @Test
    void theDeliveredEventsLinesCarryItsIds() {
        List<Map<String, String>> about = jsonLines().stream().map(ObservedBridgeTest::mdc)
                .filter(mdc -> DELIVERED.equals(mdc.get("messageId"))).toList();

        // The destinations in dry-run log each request they record; Iterable, live, logs nothing on success.
        assertThat(about).as("lines about the delivered event").contains(
                Map.of("messageId", DELIVERED, "destination", "sailthru", "route", "sailthru-user-upsert", "action", "user"),
                Map.of("messageId", DELIVERED, "destination", "emarsys", "route", "emarsys-contact-upsert", "action", "contact-upsert"));
    }

    @Test
    void noLineHoldsASecretOrAnEmail() {
        iterable.verify(postRequestedFor(urlEqualTo("/api/users/update")).withHeader("Api-Key", containing(ITERABLE_KEY)));

        for (String secret : List.of(WRITE_KEY, ADMIN_TOKEN, ITERABLE_KEY, EMAIL, ERASED_EMAIL)) {
            assertThat(logs).as("the bridge's output").doesNotContain(secret);
        }
    }

    private static List<JsonNode> jsonLines() {
        return jsonLines(logs);
    }

    private static List<JsonNode> jsonLines(String logs) {
        List<JsonNode> parsed = new ArrayList<>();
        // The last line may still be being written: only whole lines count.
        String whole = logs.substring(0, logs.lastIndexOf('\n') + 1);
        for (String line : whole.split("\n")) {
            try {
                JsonNode node = RunningBridge.JSON.readTree(line);
                assertThat(node.isObject()).as("a JSON object: %s", line).isTrue();
                parsed.add(node);
            } catch (java.io.IOException e) {
                throw new AssertionError("not one JSON object: " + line, e);
            }
        }
        return parsed;
    }

    private static Map<String, String> mdc(JsonNode line) {
        Map<String, String> mdc = new TreeMap<>();
        line.path("mdc").fields().forEachRemaining(field -> mdc.put(field.getKey(), field.getValue().asText()));
        return mdc;
    }

    private static String trackEvent(String messageId, String event) {
        return "{\"userId\":\"u-" + messageId + "\",\"event\":\"" + event + "\",\"messageId\":\"" + messageId
                + "\",\"context\":{\"traits\":{\"email\":\"" + EMAIL + "\"}}}";
    }

    private static int track(String path, String writeKey, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path))
                .header("Authorization", RunningBridge.basic(writeKey)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static String scrape() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** One sample's value by its exact series ("name{labels}"), or -1 when it is not exported. */
    private static double metric(String series) throws Exception {
        return scrape().lines().filter(line -> line.startsWith(series + " ")).mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .findFirst().orElse(-1);
    }
}
