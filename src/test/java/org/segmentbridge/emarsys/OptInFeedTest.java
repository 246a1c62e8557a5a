package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.delivery.RouteWarnings;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.EmarsysResponsesFake;
import org.segmentbridge.support.ExactlyOnce;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.slf4j.LoggerFactory;

/**
 * The Emarsys opt-in feed in a bridge delivering live to fakes of Emarsys, Sailthru, Iterable and Segment: an opt-out
 * or opt-in made in Emarsys reaches the other three once, within one feed interval; the bridge's own write coming back
 * goes nowhere; an interrupted feed resumes from its checkpoint; a rate limit is waited out as Emarsys announced.
 */
class OptInFeedTest {

    private static final String WRITE_KEY = "feed-write-key";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration QUIET = Duration.ofSeconds(3);
    private static final String EMARSYS_OK = "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{}}";

    private final EmarsysResponsesFake emarsys = new EmarsysResponsesFake(Instant.now());
    private final WireMockServer sailthru = new WireMockServer(options().dynamicPort());
    private final WireMockServer iterable = new WireMockServer(options().dynamicPort());
    private final WireMockServer segment = new WireMockServer(options().dynamicPort());
    private RunningBridge bridge;

    @AfterEach
    void stop() {
        try {
            if (bridge != null) {
                bridge.close();
            }
        } finally {
            emarsys.close();
            for (WireMockServer server : List.of(sailthru, iterable, segment)) {
                server.stop();
            }
        }
    }

    private void startBridge() {
        for (WireMockServer server : List.of(sailthru, iterable, segment)) {
            server.start();
        }
        emarsys.emarsys.stubFor(get(urlEqualTo("/api/v2/field")).willReturn(okJson("{\"replyCode\":0,\"replyText\":\"OK\",\"data\":[]}")));
        emarsys.emarsys.stubFor(put(urlEqualTo("/api/v2/contact/?create_if_not_exists=1")).willReturn(okJson(EMARSYS_OK)));
        sailthru.stubFor(post(urlEqualTo("/user")).willReturn(okJson("{\"ok\":true}")));
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        segment.stubFor(post(urlEqualTo("/v1/batch")).willReturn(okJson("{\"success\":true}")));
        Map<String, String> settings = new HashMap<>(emarsys.settings());
        settings.putAll(Map.of(
                "bridge.destinations", "emarsys,sailthru,iterable,segment",
                "bridge.write-keys", WRITE_KEY,
                "camel.main.routesIncludePattern", "file:routes/*/*.yaml",
                "bridge.delivery.batch.flush", "200ms",
                "bridge.delivery.retry.initial-delay", "300ms",
                "bridge.iterable.unsubscribe-message-types", "101",
                "bridge.emarsys.optin-feed.every", "1s",
                // The fake's polls cost no time on the feed's virtual clock; a short grace keeps the echo test quick.
                "bridge.emarsys.optin-feed.echo-grace", "1s"));
        settings.putAll(Map.of(
                "bridge.destination.sailthru.base-url", sailthru.baseUrl(),
                "bridge.destination.sailthru.api-key", "st-key",
                "bridge.destination.sailthru.api-secret", "st-secret",
                "bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", "iterable-key",
                "bridge.destination.segment.base-url", segment.baseUrl(),
                "bridge.destination.segment.write-key", "segment-key"));
        try {
            bridge = RunningBridge.start(TestFolders.create("optin-feed-test-"), settings,
                    Map.of(EngagementBackfill.CLOCK_BEAN, emarsys.clock));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anOptOutInEmarsysReachesSegmentSailthruAndIterableOnceAndALaterOptInResubscribes() {
        emarsys.changes(901, "ann@example.com,2", "never-set@example.com,");
        startBridge();

        ExactlyOnce.of("Sailthru opt-out", () -> sailthruOptOuts("ann@example.com", "all"))
                .and("Iterable unsubscribe", () -> iterableSubscriptionCalls("DELETE", "ann@example.com"))
                .check();
        await().atMost(WAIT).until(() -> segmentEvents("ann@example.com").size() == 2);
        assertThat(segmentEvents("ann@example.com")).extracting(event -> event.path("type").asText() + " "
                        + event.path("event").asText(event.path("traits").path("unsubscribed").asText()))
                .containsExactlyInAnyOrder("identify true", "track Unsubscribed");
        assertThat(segmentEvents("ann@example.com")).allSatisfy(event -> {
            assertThat(event.path("context").path("integration").path("name").asText()).isEqualTo("emarsys");
            assertThat(event.path("integrations").path("Emarsys").asBoolean(true)).isFalse();
        });
        assertThat(emarsysOptIns("ann@example.com")).as("never back to Emarsys").isEmpty();
        assertThat(segmentEvents("never-set@example.com")).isEmpty();

        String today = LocalDate.ofInstant(emarsys.clock.now(), ContactChanges.EMARSYS_ZONE).toString();
        assertThat(emarsys.bodies("POST", EmarsysResponsesFake.GETCHANGES).get(0)).isEqualTo(EmarsysResponsesFake.json("""
                {"distribution_method":"local","origin":"all","origin_id":"0","time_range":["%1$s","%1$s"],
                 "contact_fields":[3,31],"delimiter":",","add_field_names_header":0,"language":"en"}""".formatted(today)));
        assertThat(emarsys.requests("GET", EmarsysResponsesFake.export(901))).as("polled until done").hasSizeGreaterThanOrEqualTo(2);

        // Later the person opts back in, in Emarsys: the other platforms re-subscribe them, once.
        emarsys.changes(902, "ann@example.com,1");

        ExactlyOnce.of("Sailthru re-subscription", () -> sailthruOptOuts("ann@example.com", "none"))
                .and("Iterable re-subscription", () -> iterableSubscriptionCalls("PATCH", "ann@example.com"))
                .check();
        await().atMost(WAIT).until(() -> segmentEvents("ann@example.com").stream()
                .anyMatch(event -> event.path("event").asText().equals("Subscribed")));
        assertThat(sailthruOptOuts("ann@example.com", "all")).isEqualTo(1);
        assertThat(emarsysOptIns("ann@example.com")).isEmpty();
    }

    @Test
    void theEchoOfTheBridgesOwnOptOutGoesNowhere() {
        emarsys.changes(911);
        startBridge();
        send("{\"type\":\"identify\",\"userId\":\"u-bob\",\"traits\":{\"email\":\"bob@example.com\",\"unsubscribed\":true}}");
        ExactlyOnce.of("the bridge's opt-out written to Emarsys", () -> emarsysOptIns("bob@example.com").size())
                .and("Sailthru opt-out", () -> sailthruOptOuts("bob@example.com", "all"))
                .check();
        assertThat(emarsysOptIns("bob@example.com")).containsExactly("2");

        // Emarsys' next exports hold the opt-out the bridge wrote.
        emarsys.changes(912, "bob@example.com,2");
        await().atMost(WAIT).until(() -> emarsys.requests("GET", EmarsysResponsesFake.exportData(912, 0)).size() >= 2);

        await().during(QUIET).atMost(QUIET.plusSeconds(2)).until(() -> sailthruOptOuts("bob@example.com", "all") == 1
                && iterableSubscriptionCalls("DELETE", "bob@example.com") == 1 && emarsysOptIns("bob@example.com").size() == 1
                && segmentEvents("bob@example.com").stream().noneMatch(event -> event.path("event").asText().equals("Unsubscribed")));
    }

    @Test
    void aFeedInterruptedMidExportResumesFromItsCheckpointWithoutLossOrDuplicate() throws Exception {
        emarsys.changes(921, "cy@example.com,2");
        // The export is still being prepared when the bridge stops: the run waits in its poll interval.
        emarsys.clock.blockWhen(() -> !emarsys.requests("GET", EmarsysResponsesFake.export(921)).isEmpty());
        startBridge();
        await().atMost(WAIT).until(emarsys.clock::blocked);
        emarsys.clock.blockWhen(() -> false);
        assertThat(checkpoint()).isEmpty();
        Instant firstAsked = emarsys.clock.now();

        long restarting = System.nanoTime();
        bridge.restart();
        // The waiting run is let go when the stop begins, not once Camel's 30 s shutdown timeout has passed.
        assertThat(Duration.ofNanos(System.nanoTime() - restarting)).as("stop and start").isLessThan(Duration.ofSeconds(25));

        // After the restart the feed asks again for the same window, and its data call fails once on Emarsys' side.
        emarsys.changes(922, "cy@example.com,2");
        emarsys.emarsys.stubFor(get(urlEqualTo(EmarsysResponsesFake.exportData(922, 0))).atPriority(1)
                .inScenario("data-fails").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "7").withBody("busy")).willSetStateTo("answered"));
        ExactlyOnce.of("Sailthru opt-out", () -> sailthruOptOuts("cy@example.com", "all"))
                .and("Iterable unsubscribe", () -> iterableSubscriptionCalls("DELETE", "cy@example.com"))
                .check();
        await().atMost(WAIT).until(() -> segmentEvents("cy@example.com").size() == 2);
        await().during(QUIET).atMost(QUIET.plusSeconds(2)).until(() -> segmentEvents("cy@example.com").size() == 2);
        assertThat(emarsys.clock.sleeps()).as("the data call is asked again after the wait Emarsys announced")
                .contains(Duration.ofSeconds(7));
        List<JsonNode> asked = emarsys.bodies("POST", EmarsysResponsesFake.GETCHANGES);
        assertThat(asked.get(asked.size() - 1).path("time_range")).as("the same window, from the unmoved checkpoint")
                .isEqualTo(asked.get(0).path("time_range"));
        await().atMost(WAIT).until(() -> checkpoint().filter(done -> !done.isBefore(firstAsked)).isPresent());
    }

    @Test
    void aRateLimitedExportIsAskedAgainOnlyAfterTheResetEmarsysAnnounced() {
        emarsys.changes(931, "dee@example.com,2");
        long reset = Instant.now().getEpochSecond() + 3;
        emarsys.emarsys.stubFor(post(urlEqualTo(EmarsysResponsesFake.GETCHANGES)).atPriority(1)
                .inScenario("limited").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("X-Ratelimit-Reset", String.valueOf(reset))
                        .withHeader("X-Ratelimit-Remaining", "0").withBody("Too Many Requests"))
                .willSetStateTo("limited once"));
        startBridge();

        ExactlyOnce.of("Sailthru opt-out", () -> sailthruOptOuts("dee@example.com", "all")).check();
        List<LoggedRequest> starts = emarsys.requests("POST", EmarsysResponsesFake.GETCHANGES);
        assertThat(starts.size()).isGreaterThanOrEqualTo(2);
        assertThat(starts.get(1).getLoggedDate().toInstant()).as("not before X-Ratelimit-Reset")
                .isAfterOrEqualTo(Instant.ofEpochSecond(reset));
    }

    @Test
    void wsseCredentialsAreWarnedAboutAtStart() {
        Logger logger = (Logger) LoggerFactory.getLogger(RouteWarnings.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            emarsys.changes(941);
            startBridge();
            assertThat(logs.list).anySatisfy(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.WARN);
                assertThat(event.getFormattedMessage()).isEqualTo(EmarsysVendor.WSSE_SUNSET);
            });
        } finally {
            logger.detachAppender(logs);
        }
    }

    private Optional<Instant> checkpoint() throws Exception {
        StateStore store = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("stateStore", StateStore.class);
        return new BackfillCheckpoints(store).doneUntil(OptInFeed.JOB);
    }

    private void send(String... events) {
        var response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    /** The opt-in values (field 31) the bridge wrote to Emarsys for this contact. */
    private List<String> emarsysOptIns(String email) {
        List<String> values = new ArrayList<>();
        for (LoggedRequest request : emarsys.requests("PUT", "/api/v2/contact/?create_if_not_exists=1")) {
            for (JsonNode contact : EmarsysResponsesFake.json(request.getBodyAsString()).path("contacts")) {
                if (contact.path("3").asText().equals(email) && contact.has("31")) {
                    values.add(contact.path("31").asText());
                }
            }
        }
        return values;
    }

    private int sailthruOptOuts(String email, String value) {
        return (int) sailthru.findAll(anyRequestedFor(urlEqualTo("/user"))).stream()
                .map(request -> sailthruJson(request.getBodyAsString()))
                .filter(json -> json.path("id").asText().equals(email) && json.path("optout_email").asText().equals(value))
                .count();
    }

    private static JsonNode sailthruJson(String form) {
        for (String pair : form.split("&")) {
            if (pair.startsWith("json=")) {
                return EmarsysResponsesFake.json(URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8));
            }
        }
        return EmarsysResponsesFake.json("{}");
    }

    /** Iterable subscription calls for this person: DELETE unsubscribes, PATCH re-subscribes (one per message type). */
    private int iterableSubscriptionCalls(String method, String email) {
        String user = "/user/" + URLEncoder.encode(email, StandardCharsets.UTF_8);
        return (int) iterable.findAll(anyRequestedFor(urlMatching("/api/subscriptions/.*"))).stream()
                .filter(request -> request.getMethod().getName().equals(method) && request.getUrl().endsWith(user))
                .count();
    }

    private List<JsonNode> segmentEvents(String email) {
        List<JsonNode> events = new ArrayList<>();
        for (LoggedRequest request : segment.findAll(anyRequestedFor(urlEqualTo("/v1/batch")))) {
            EmarsysResponsesFake.json(request.getBodyAsString()).path("batch").forEach(event -> {
                if (email.equals(event.path("context").path("traits").path("email").asText())) {
                    events.add(event);
                }
            });
        }
        return events;
    }
}
