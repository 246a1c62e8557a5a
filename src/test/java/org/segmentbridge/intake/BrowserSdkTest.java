package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.iterable.IterableFake;
import org.segmentbridge.support.Chromium;
import org.segmentbridge.support.StaticSite;

/**
 * Segment's real browser SDK (analytics-next from npm, installed into src/test/browser by the build) in headless
 * Chromium, on a page of another origin than the bridge, its Segment.io apiHost pointed at the bridge: identify,
 * track and page reach a fake Iterable through the shipped user-update and custom-events routes (and a test route
 * for pages). With the
 * bridge's CORS origins set to another site, the browser is blocked and nothing is stored.
 */
class BrowserSdkTest {

    private static final Path SDK = Path.of("src/test/browser/node_modules/@segment/analytics-next/dist/umd");
    private static final String ROUTES = "file:routes/iterable/user-update.yaml,file:routes/iterable/custom-events.yaml,"
            + "file:src/test/resources/routes/browser/*.yaml";
    private static final Duration PAGE_TIME = Duration.ofSeconds(20);

    private static StaticSite site;
    private static String page;

    @BeforeAll
    static void serveTheSite() throws IOException {
        assertThat(SDK.resolve("index.js")).as("analytics-next from npm: the build runs 'npm ci' in src/test/browser").isRegularFile();
        site = new StaticSite("/umd/", SDK.toAbsolutePath());
        try (InputStream template = BrowserSdkTest.class.getResourceAsStream("/browser/shop.html")) {
            page = new String(template.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @AfterAll
    static void stopTheSite() {
        site.close();
    }

    @Test
    void identifyTrackAndPageFromAnotherOriginReachIterable() {
        try (IterableFake fake = new IterableFake(ROUTES, Map.of())) {
            String dom = visit(fake, "browser-user-1", "ann@shop.example", "{strategy: 'standard'}");

            assertThat(dom).contains("<p id=\"result\">called</p>");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(fake.bodies("/api/users/update", "ann@shop.example")).isNotEmpty();
                assertThat(fake.bodies("/api/events/track", "Signed Up")).hasSize(1);
                assertThat(fake.bodies("/api/events/track", "Page Viewed")).hasSize(1);
            });
            JsonNode user = fake.bodies("/api/users/update", "ann@shop.example").get(0);
            assertThat(user.path("dataFields").path("firstName").asText()).isEqualTo("Ann");
            JsonNode track = fake.bodies("/api/events/track", "Signed Up").get(0);
            assertThat(track.path("email").asText()).isEqualTo("ann@shop.example");
            assertThat(track.path("dataFields").path("plan").asText()).isEqualTo("pro");
            fake.assertEveryRequestMatchesIterablesApi();
            // What the browser sent went through the short paths.
            assertThat(fake.bridge.metric("bridge_intake_events_accepted_total", Map.of())).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void theBatchingDispatcherSendsTheCallsInOneRequestToTheBatchPath() {
        // Delivery held, so the stored events can be read from the queue: one request stores them with one receivedAt.
        try (IterableFake fake = new IterableFake(ROUTES, Map.of("bridge.delivery.enabled", "false"))) {
            String dom = visit(fake, "browser-user-2", "bo@shop.example", "{strategy: 'batching', config: {size: 3, timeout: 500}}");

            assertThat(dom).contains("<p id=\"result\">called</p>");
            await().atMost(Duration.ofSeconds(20)).until(() -> fake.bridge.queued("iterable").size() == 3);
            var stored = fake.bridge.queued("iterable").stream().map(event -> event.body()).toList();
            assertThat(stored).extracting(event -> event.path("type").asText()).containsExactlyInAnyOrder("identify", "track", "page");
            assertThat(stored).extracting(event -> event.path("receivedAt").asText()).as("one request").containsOnly(
                    stored.get(0).path("receivedAt").asText());
            assertThat(stored).extracting(event -> event.path("context").path("library").path("name").asText()).containsOnly("analytics.js");
            assertThat(stored).extracting(event -> event.path("context").path("ip").asText()).containsOnly("127.0.0.1");
            assertThat(stored).extracting(event -> event.path("context").path("page").path("url").asText())
                    .containsOnly(site.url());
        }
    }

    @Test
    void aSiteNotAmongTheAllowedOriginsIsBlockedAndNothingIsStored() {
        try (IterableFake fake = new IterableFake(ROUTES, Map.of("bridge.intake.cors-allowed-origins", "https://www.elsewhere.example"))) {
            visit(fake, "browser-user-3", "cy@shop.example", "{strategy: 'standard'}");

            assertThat(fake.bridge.metric("bridge_intake_requests_refused_total", Map.of("reason", "cors_origin"))).isPositive();
            assertThat(fake.bridge.metric("bridge_intake_events_accepted_total", Map.of())).isZero();
            assertThat(fake.iterable.getAllServeEvents()).isEmpty();
        }
    }

    private static String visit(IterableFake fake, String userId, String email, String deliveryStrategy) {
        URI bridge = URI.create(fake.bridge.baseUrl());
        // 127.0.0.1 for the bridge, localhost for the site: two origins, as a shop and its tracking host are.
        site.page(page, Map.of("writeKey", IterableFake.WRITE_KEY, "apiHost", "127.0.0.1:" + bridge.getPort() + "/v1",
                "userId", userId, "email", email, "deliveryStrategy", deliveryStrategy));
        return Chromium.domAfter(site.url(), PAGE_TIME);
    }
}
