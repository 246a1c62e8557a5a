package org.segmentbridge.emarsys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.queue.EmbeddedBroker;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.EmarsysResponsesFake;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.slf4j.LoggerFactory;

/**
 * The Emarsys engagement backfill in a running bridge against a fake Emarsys, on a virtual clock: exact requests,
 * every record queued for Segment once, the one-query-a-minute limit, resume after an interruption, and a checkpoint
 * that moves only once a window's events are durably queued.
 */
class EngagementBackfillTest {

    private static final Instant NOW = Instant.parse("2026-01-10T05:00:00Z");
    private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-01-04T00:00:00Z");
    private static final String WRITE_KEY = "backfill-write-key";
    private static final String NEVER = "0 0 0 1 1 ? 2099";
    private static final Pattern WSSE = Pattern.compile(
            "UsernameToken Username=\"(.+)\", PasswordDigest=\"(.+)\", Nonce=\"([0-9a-f]{32})\", Created=\"(.+)\"");

    private final EmarsysResponsesFake fake = new EmarsysResponsesFake(NOW);
    private RunningBridge bridge;

    @AfterEach
    void stop() {
        try {
            if (bridge != null) {
                bridge.close();
            }
        } finally {
            fake.close();
        }
    }

    private void startBridge(String cron, Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(fake.settings());
        settings.put("bridge.destinations", "emarsys,segment");
        settings.put("bridge.write-keys", WRITE_KEY);
        // Only the backfill route: nothing consumes the segment queue, so the test reads what was queued.
        settings.put("camel.main.routesIncludePattern", "file:routes/emarsys/engagement-backfill.yaml");
        settings.put("bridge.emarsys.backfill.cron", cron);
        settings.put("bridge.emarsys.backfill.types", "opened,clicked,bounced");
        settings.putAll(more);
        try {
            bridge = RunningBridge.start(TestFolders.create("backfill-test-"), settings,
                    Map.of(EngagementBackfill.CLOCK_BEAN, fake.clock));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Three days of responses; contact 1006 was deleted from Emarsys since it opened. */
    private void threeDays() {
        fake.contact("1001", "ann@example.com").contact("1002", "bob@example.com").contact("1003", "cy@example.com")
                .contact("1004", "dee@example.com").contact("1005", "eve@example.com");
        fake.responses("opened", "2026-01-01", "1001", "1002").responses("clicked", "2026-01-01", "1001")
                .responses("bounced", "2026-01-01");
        fake.responses("opened", "2026-01-02", "1001", "1004").responses("clicked", "2026-01-02")
                .responses("bounced", "2026-01-02", "1005");
        fake.responses("opened", "2026-01-03", "1006").responses("clicked", "2026-01-03", "1002")
                .responses("bounced", "2026-01-03");
    }

    /** What the three days must give: event, email, day; each once. */
    private static final Set<String> EXPECTED = Set.of(
            "Email Opened ann@example.com 2026-01-01", "Email Opened bob@example.com 2026-01-01",
            "Email Link Clicked ann@example.com 2026-01-01",
            "Email Opened ann@example.com 2026-01-02", "Email Opened dee@example.com 2026-01-02",
            "Email Bounced eve@example.com 2026-01-02",
            "Email Link Clicked bob@example.com 2026-01-03");

    private List<String> queuedRecords() {
        return bridge.queued("segment").stream().map(RunningBridge.QueuedEvent::body)
                .filter(event -> event.path("type").asText().equals("track"))
                .map(event -> event.path("event").asText() + " " + event.path("context").path("traits").path("email").asText()
                        + " " + event.path("timestamp").asText().substring(0, 10))
                .toList();
    }

    private EngagementBackfill backfill() {
        return bridge.main().getCamelContext().getRegistry().lookupByNameAndType(EngagementBackfill.BEAN, EngagementBackfill.class);
    }

    private Optional<Instant> checkpoint(String job) throws Exception {
        StateStore store = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("stateStore", StateStore.class);
        return new BackfillCheckpoints(store).doneUntil(job);
    }

    private static final EngagementBackfill.Progress QUIET = new EngagementBackfill.Progress() {
        @Override
        public void started(Instant from, Instant to, EngagementBackfill.Totals totals, int typesPerWindow) {
        }

        @Override
        public void windowDone(EngagementBackfill.Window window, EngagementBackfill.WindowResult result,
                               EngagementBackfill.Totals totals, Duration elapsed, Optional<Duration> eta) {
        }
    };

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aMultiWindowRangeQueuesEveryRecordOnceWithExactRequests() throws Exception {
        threeDays();
        startBridge(NEVER, Map.of());

        EngagementBackfill.Summary summary = backfill().runRange(FROM, TO, QUIET);

        assertThat(summary.windowsRun()).isEqualTo(3);
        assertThat(summary.records()).isEqualTo(8);
        assertThat(summary.queued()).isEqualTo(7);
        assertThat(summary.withoutEmail()).isEqualTo(1);
        assertThat(queuedRecords()).hasSize(7).containsExactlyInAnyOrderElementsOf(EXPECTED);
        assertThat(bridge.queued("segment").stream().map(event -> event.body().path("messageId").asText()).distinct()).hasSize(7);
        // Engagement goes to Segment only.
        assertThat(bridge.queued("emarsys")).isEmpty();

        // One query per type and day, in order; every query polled until ready; one contact lookup per day.
        List<String> expectedQueries = new ArrayList<>();
        for (String day : List.of("2026-01-01", "2026-01-02", "2026-01-03")) {
            for (String type : List.of("opened", "clicked", "bounced")) {
                expectedQueries.add("{\"type\":\"" + type + "\",\"start_date\":\"" + day + "\",\"end_date\":\"" + day + "\"}");
            }
        }
        assertThat(fake.bodies("POST", EmarsysResponsesFake.RESPONSES)).containsExactlyElementsOf(
                expectedQueries.stream().map(EmarsysResponsesFake::json).toList());
        assertThat(fake.requests("POST", EmarsysResponsesFake.RESPONSES))
                .allSatisfy(request -> assertThat(request.getHeader("Content-Type")).isEqualTo("application/json"));
        assertThat(fake.all().stream().filter(request -> request.getMethod().getName().equals("GET")).count())
                .as("each of the 9 queries answered 'being generated' once, then its contacts").isEqualTo(18);
        assertThat(fake.bodies("POST", EmarsysResponsesFake.GETDATA)).containsExactly(
                EmarsysResponsesFake.json("{\"keyId\":\"id\",\"keyValues\":[\"1001\",\"1002\"],\"fields\":[\"3\"]}"),
                EmarsysResponsesFake.json("{\"keyId\":\"id\",\"keyValues\":[\"1001\",\"1004\",\"1005\"],\"fields\":[\"3\"]}"),
                EmarsysResponsesFake.json("{\"keyId\":\"id\",\"keyValues\":[\"1006\",\"1002\"],\"fields\":[\"3\"]}"));
        assertEveryRequestIsWsseSigned();

        assertThat(checkpoint("emarsys " + FROM + ".." + TO)).contains(TO);
        assertThat(checkpoint(EngagementBackfill.SCHEDULED_JOB)).as("a range has its own checkpoint").isEmpty();

        // Run again: the checkpoint skips every window, so Emarsys is not asked again and nothing is queued twice.
        EngagementBackfill.Summary again = backfill().runRange(FROM, TO, QUIET);
        assertThat(again.windowsRun()).isZero();
        assertThat(again.windowsDone()).isEqualTo(3);
        assertThat(fake.requests("POST", EmarsysResponsesFake.RESPONSES)).hasSize(9);
        assertThat(queuedRecords()).hasSize(7);
    }

    @Test
    void eventsHaveTheBackFlowShapeWithDeterministicIdsAndTheKnownUsersId() throws Exception {
        threeDays();
        startBridge(NEVER, Map.of());
        // Bob is a known user: his engagement carries his userId; Ann is not, so she gets the email-derived anonymousId.
        assertThat(bridge.postTracking("/v1/batch", WRITE_KEY,
                "{\"batch\":[{\"type\":\"identify\",\"userId\":\"user-bob\",\"traits\":{\"email\":\"bob@example.com\"}}]}")
                .statusCode()).isEqualTo(200);
        int before = bridge.queued("segment").size();

        backfill().runRange(FROM, Instant.parse("2026-01-02T00:00:00Z"), QUIET);

        List<RunningBridge.QueuedEvent> queued = bridge.queued("segment").subList(before, bridge.queued("segment").size());
        assertThat(queued).as("3 tracks").hasSize(3);
        JsonNode annOpened = queued.stream().map(RunningBridge.QueuedEvent::body)
                .filter(event -> event.path("event").asText().equals("Email Opened")
                        && event.path("context").path("traits").path("email").asText().equals("ann@example.com"))
                .findFirst().orElseThrow();
        String recordId = String.join("\n", "opened", "1001", "", "2026-01-01", "2026-01-01");
        String messageId = "emarsys-" + sha256(String.join("\n", "emarsys", recordId, "Email Opened"));
        assertThat(annOpened.path("type").asText()).isEqualTo("track");
        assertThat(annOpened.path("messageId").asText()).isEqualTo(messageId);
        assertThat(annOpened.has("userId")).isFalse();
        assertThat(annOpened.path("anonymousId").asText()).isEqualTo("email:" + sha256("ann@example.com"));
        assertThat(annOpened.path("timestamp").asText()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(annOpened.path("context").path("integration")).isEqualTo(EmarsysResponsesFake.json("{\"name\":\"emarsys\"}"));
        assertThat(annOpened.path("integrations")).isEqualTo(EmarsysResponsesFake.json("{\"All\":true,\"Emarsys\":false}"));
        assertThat(annOpened.path("properties")).isEqualTo(EmarsysResponsesFake.json("""
                {"emarsys_contact_id":"1001","emarsys_response_type":"opened",
                 "window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-02T00:00:00Z"}"""));

        JsonNode bobOpened = queued.stream().map(RunningBridge.QueuedEvent::body)
                .filter(event -> event.path("context").path("traits").path("email").asText().equals("bob@example.com"))
                .findFirst().orElseThrow();
        assertThat(bobOpened.path("userId").asText()).isEqualTo("user-bob");
        assertThat(bobOpened.has("anonymousId")).isFalse();

        RunningBridge.QueuedEvent opened = queued.stream()
                .filter(event -> event.body().path("event").asText().equals("Email Opened")).findFirst().orElseThrow();
        assertThat(opened.properties()).containsEntry("receivedVia", EngagementBackfill.ENDPOINT)
                .containsEntry(EmbeddedBroker.ONLY_FOR_PROPERTY, "segment");
    }

    @Test
    void queriesAreAtLeastAMinuteApartOnTheBackfillsClock() throws Exception {
        threeDays();
        startBridge(NEVER, Map.of());
        Instant started = fake.clock.now();

        backfill().runRange(FROM, TO, QUIET);

        List<Instant> times = List.copyOf(fake.queryTimes);
        assertThat(times).hasSize(9);
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i))).as("query %d after query %d", i + 1, i)
                    .isGreaterThanOrEqualTo(Duration.ofMinutes(1));
        }
        // It waits no longer than the limit asks: 8 intervals of a minute (polls fall inside them), not more.
        assertThat(Duration.between(started, fake.clock.now())).isLessThan(Duration.ofMinutes(10));
        assertThat(fake.clock.sleeps()).contains(Duration.ofSeconds(15));
    }

    @Test
    void aRunInterruptedMidWindowResumesAfterARestartWithoutDuplicatesOrGaps() throws Exception {
        threeDays();
        startBridge(NEVER, Map.of());
        // Stop the run while it polls the first query of the second day: the first day is queued, the second is not.
        fake.clock.blockWhen(() -> fake.requests("POST", EmarsysResponsesFake.RESPONSES).size() == 4);
        EngagementBackfill backfill = backfill();
        CompletableFuture<EngagementBackfill.Summary> run = CompletableFuture.supplyAsync(() -> {
            try {
                return backfill.runRange(FROM, TO, QUIET);
            } catch (EngagementBackfill.BackfillException e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(fake.clock::blocked);
        fake.clock.blockWhen(() -> false);

        bridge.restart();

        assertThatThrownBy(() -> run.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("interrupted");
        assertThat(checkpoint("emarsys " + FROM + ".." + TO)).contains(Instant.parse("2026-01-02T00:00:00Z"));
        assertThat(queuedRecords()).containsExactlyInAnyOrder("Email Opened ann@example.com 2026-01-01",
                "Email Opened bob@example.com 2026-01-01", "Email Link Clicked ann@example.com 2026-01-01");
        int queriesBefore = fake.requests("POST", EmarsysResponsesFake.RESPONSES).size();

        EngagementBackfill.Summary resumed = backfill().runRange(FROM, TO, QUIET);

        assertThat(resumed.windowsRun()).isEqualTo(2);
        assertThat(fake.bodies("POST", EmarsysResponsesFake.RESPONSES).subList(queriesBefore, queriesBefore + 6))
                .extracting(body -> body.path("start_date").asText())
                .containsExactly("2026-01-02", "2026-01-02", "2026-01-02", "2026-01-03", "2026-01-03", "2026-01-03");
        assertThat(queuedRecords()).hasSize(7).containsExactlyInAnyOrderElementsOf(EXPECTED);
        assertThat(checkpoint("emarsys " + FROM + ".." + TO)).contains(TO);
    }

    @Test
    void theCheckpointStaysWhenTheWindowsEventsCannotBeQueued() throws Exception {
        threeDays();
        startBridge(NEVER, Map.of());
        // Without the broker the intake log takes nothing: the window's events are not queued.
        org.apache.camel.Service broker = bridge.main().getCamelContext().getRegistry()
                .lookupByNameAndType("eventBroker", org.apache.camel.Service.class);
        broker.stop();
        try {
            assertThatThrownBy(() -> backfill().runRange(FROM, TO, QUIET))
                    .isInstanceOf(EngagementBackfill.BackfillException.class)
                    .hasMessageContaining("2026-01-01").hasMessageContaining("could not be queued");
            assertThat(checkpoint("emarsys " + FROM + ".." + TO)).isEmpty();
            assertThat(fake.bodies("POST", EmarsysResponsesFake.RESPONSES)).as("it stops at the first window")
                    .extracting(body -> body.path("start_date").asText()).containsOnly("2026-01-01");
        } finally {
            broker.start();
        }
        assertThat(bridge.queued("segment")).isEmpty();

        backfill().runRange(FROM, TO, QUIET);

        assertThat(queuedRecords()).hasSize(7).containsExactlyInAnyOrderElementsOf(EXPECTED);
        assertThat(checkpoint("emarsys " + FROM + ".." + TO)).contains(TO);
    }

    @Test
    void theScheduledRouteQueuesTheSettledDaysSinceItsCheckpointOnce() throws Exception {
        threeDays();
        // Now is 2026-01-04 05:00: with three days back, the days 01 to 03 are due; the 4th has not ended.
        fake.clock.set(Instant.parse("2026-01-04T05:00:00Z"));
        startBridge("* * * * * ?", Map.of("bridge.emarsys.backfill.lookback", "3d", "bridge.emarsys.backfill.settle", "1h"));

        await().atMost(Duration.ofSeconds(30)).until(() -> checkpoint(EngagementBackfill.SCHEDULED_JOB).isPresent()
                && checkpoint(EngagementBackfill.SCHEDULED_JOB).get().equals(TO));
        assertThat(queuedRecords()).hasSize(7).containsExactlyInAnyOrderElementsOf(EXPECTED);
        // Later firings find nothing due until another day has settled.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                fake.requests("POST", EmarsysResponsesFake.RESPONSES).size() == 9 && queuedRecords().size() == 7);

        fake.responses("opened", "2026-01-04", "1005").responses("clicked", "2026-01-04")
                .responses("bounced", "2026-01-04");
        fake.clock.set(Instant.parse("2026-01-05T01:30:00Z"));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                checkpoint(EngagementBackfill.SCHEDULED_JOB).get().equals(Instant.parse("2026-01-05T00:00:00Z")));
        assertThat(queuedRecords()).hasSize(8).contains("Email Opened eve@example.com 2026-01-04");
    }

    @Test
    void withoutCredentialsTheScheduledRouteLogsOnceAndDoesNothing() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(EngagementBackfill.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            threeDays();
            startBridge("* * * * * ?", Map.of("bridge.destination.emarsys.api-user", "",
                    "bridge.destination.emarsys.api-secret", "", "bridge.emarsys.backfill.lookback", "30d"));

            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> fake.all().isEmpty());
            assertThat(backfill().disabledBecause()).get().asString().contains("no credentials");
            assertThat(logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(message -> message.contains("backfill skipped")).toList())
                    .containsExactly("Emarsys engagement backfill skipped: " + backfill().disabledBecause().get());
            assertThat(bridge.queued("segment")).isEmpty();
            assertThat(checkpoint(EngagementBackfill.SCHEDULED_JOB)).isEmpty();
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void emarsysSayingTooOftenIsWaitedOutAndAskedAgain() throws Exception {
        fake.contact("1001", "ann@example.com");
        fake.responses("opened", "2026-01-01", "1001");
        startBridge(NEVER, Map.of("bridge.emarsys.backfill.types", "opened"));
        fake.emarsys.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(
                        com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo(EmarsysResponsesFake.RESPONSES))
                .atPriority(1).inScenario("too-often").whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(423)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"replyCode\":6028,\"replyText\":\"Cannot run filters that often\",\"data\":\"\"}"))
                .willSetStateTo("later"));

        backfill().runRange(FROM, Instant.parse("2026-01-02T00:00:00Z"), QUIET);

        assertThat(fake.queryTimes).hasSize(2);
        assertThat(Duration.between(fake.queryTimes.get(0), fake.queryTimes.get(1))).isGreaterThanOrEqualTo(Duration.ofMinutes(1));
        assertThat(queuedRecords()).containsExactly("Email Opened ann@example.com 2026-01-01");
    }

    private void assertEveryRequestIsWsseSigned() {
        Set<String> nonces = new java.util.HashSet<>();
        List<LoggedRequest> all = fake.all();
        assertThat(all).isNotEmpty();
        for (LoggedRequest request : all) {
            Matcher header = WSSE.matcher(request.getHeader("X-WSSE"));
            assertThat(header.matches()).as("X-WSSE of %s %s", request.getMethod(), request.getUrl()).isTrue();
            assertThat(header.group(1)).isEqualTo(EmarsysResponsesFake.API_USER);
            assertThat(header.group(2)).isEqualTo(WsseAuth.passwordDigest(header.group(3), header.group(4),
                    EmarsysResponsesFake.API_SECRET));
            assertThat(nonces.add(header.group(3))).as("a fresh nonce per request").isTrue();
        }
        assertThat(all.stream().map(request -> request.getHeader("X-WSSE")).collect(Collectors.joining()))
                .doesNotContain(EmarsysResponsesFake.API_SECRET);
    }
}
