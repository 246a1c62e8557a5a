package org.segmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.KafkaBroker;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestEventLog;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;
import org.segmentbridge.support.TestHttp;

/**
 * A rolling restart under load: the bridge, in its own process, gets SIGTERM twice while senders post track
 * events without pause and Iterable (a fake that takes a moment to answer) has requests in flight. Each stop refuses new
 * requests with 503 and Retry-After, lets the vendor requests in flight be answered and acknowledged, and exits 0;
 * the bridge is started again on the same data folder. In the end every event answered 200 reached Iterable, and no
 * event reached it twice.
 */
class RollingRestartTest {

    private static final String WRITE_KEY = "rolling-key";
    private static final String TRACK = "/api/events/track";
    private static final int RESTARTS = 2;
    private static final int SENDERS = 4;
    private static final int PERSONS = 20;
    /** Long enough that every stop finds requests in flight. */
    private static final int VENDOR_DELAY_MILLIS = 150;
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern IN_FLIGHT_AT_STOP = Pattern.compile("waiting up to \\d+ s for (\\d+) vendor request\\(s\\) in flight");

    private final WireMockServer iterable = new WireMockServer(options().dynamicPort().containerThreads(64));
    private final HttpClient client = TestHttp.client(Duration.ofSeconds(2));
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger refusedWithRetryAfter = new AtomicInteger();
    private Backend backend = Backend.EMBEDDED;
    private Map<String, String> clusterEnvironment;
    private Path dataDir;
    private int httpPort;
    private int managementPort;

    @BeforeEach
    void start() throws IOException {
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(success().withFixedDelay(VENDOR_DELAY_MILLIS)));
        dataDir = TestFolders.create("bridge-rolling-restart-");
        httpPort = RunningBridge.freePort();
        managementPort = RunningBridge.freePort();
    }

    @AfterEach
    void stop() {
        iterable.stop();
    }

    /** The logs and state a bridge runs on: embedded (Artemis and H2 in its data folder), or cluster (Kafka and PostgreSQL). */
    enum Backend { EMBEDDED, CLUSTER }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backend.class)
    void aRollingRestartUnderLoadSendsEveryAcceptedEventOnceAndNothingTwice(Backend backend) throws Exception {
        // The cluster case runs on Kafka and PostgreSQL whatever the pass: the first pass has run it.
        assumeFalse(backend == Backend.CLUSTER && TestStateDatabase.postgresql(), "the cluster case ran in the first pass");
        this.backend = backend;
        AtomicBoolean sending = new AtomicBoolean(true);
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        List<Future<?>> running = new ArrayList<>();
        List<Integer> inFlightAtStops = new ArrayList<>();
        BridgeProcess bridge = launch();
        try {
            bridge.awaitHealthy(Duration.ofSeconds(60));
            for (int sender = 0; sender < SENDERS; sender++) {
                int number = sender;
                running.add(senders.submit(() -> send(number, sending)));
            }
            for (int restart = 1; restart <= RESTARTS; restart++) {
                // Deliveries under way: Iterable has received some events of this run.
                int before = iterable.findAll(postRequestedFor(urlEqualTo(TRACK))).size();
                await().atMost(Duration.ofSeconds(20)).until(() -> iterable.findAll(postRequestedFor(urlEqualTo(TRACK))).size() > before + 20);
                long stopping = System.nanoTime();
                bridge.terminate();
                assertThat(bridge.awaitExit(SHUTDOWN_TIMEOUT.plusSeconds(10))).as("exit after SIGTERM %d:%n%s", restart, bridge.output())
                        .hasValue(0);
                System.out.printf("stop %d took %d ms%n", restart, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping));
                String output = bridge.output();
                Matcher inFlight = IN_FLIGHT_AT_STOP.matcher(output);
                assertThat(inFlight.find()).as("the stop says what it waits for:%n%s", output).isTrue();
                inFlightAtStops.add(Integer.parseInt(inFlight.group(1)));
                assertThat(output).as("every stop settled within the timeout").doesNotContain("the shutdown timeout");
                // Requests keep coming while it starts: its server listens before its routes are up, and answers 503
                // with Retry-After until they are (a 404 would make a Segment library drop the event).
                bridge = launch();
                bridge.awaitHealthy(Duration.ofSeconds(60));
            }
            // A little more load on the last run, then every sender stops.
            RunningBridge.sleep(1000);
            sending.set(false);
            for (Future<?> sender : running) {
                sender.get(30, TimeUnit.SECONDS);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> deliveredIds().containsAll(accepted));
            bridge.terminate();
            assertThat(bridge.awaitExit(SHUTDOWN_TIMEOUT.plusSeconds(10))).as("exit after the last SIGTERM").hasValue(0);
        } finally {
            sending.set(false);
            senders.shutdownNow();
            bridge.close();
        }

        List<String> delivered = deliveredIds();
        Map<String, Long> times = delivered.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        Map<String, Long> repeated = times.entrySet().stream().filter(entry -> entry.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        System.out.printf("%s rolling restart: %d events accepted, %d deliveries of %d events; answers %s; "
                        + "vendor requests in flight at the stops %s%n",
                backend, accepted.size(), delivered.size(), times.size(), answers, inFlightAtStops);
        assertThat(unexpected).as("answers other than 200, 503 with Retry-After, or a refused connection").isEmpty();
        assertThat(times.keySet()).as("every event answered 200 was delivered").containsAll(accepted);
        assertThat(repeated).as("events Iterable received more than once").isEmpty();
        assertThat(inFlightAtStops).as("vendor requests in flight at each SIGTERM").allMatch(count -> count > 0);
        assertThat(refusedWithRetryAfter.get()).as("requests refused with 503 and Retry-After while the bridge stopped").isPositive();
    }

    /**
     * A vendor slower than the shutdown timeout: the stop does not wait longer, says what was still in flight, and
     * exits 0. Those events were not acknowledged, so the next run delivers them again: nothing accepted is lost, and
     * only what was in flight at the timeout reaches the vendor twice.
     */
    @Test
    void aStopThatOutlastsItsTimeoutSaysWhatWasInFlightAndLosesNothing() throws Exception {
        iterable.resetAll();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(success().withFixedDelay(4_000)));
        List<String> sent = new ArrayList<>();
        try (BridgeProcess bridge = launch(Duration.ofSeconds(1))) {
            bridge.awaitHealthy(Duration.ofSeconds(60));
            for (int person = 0; person < 3; person++) {
                String messageId = "slow-" + person + "-" + java.util.UUID.randomUUID();
                HttpResponse<String> response = client.send(track(person, "Slow", messageId), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                sent.add(messageId);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> deliveredIds().size() == sent.size());
            long stopping = System.nanoTime();
            bridge.terminate();
            assertThat(bridge.awaitExit(Duration.ofSeconds(30))).as(bridge.output()).hasValue(0);
            assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("the stop did not wait for the vendor's answers")
                    .isLessThan(Duration.ofSeconds(4));
            assertThat(bridge.output()).contains("Destination iterable: the shutdown timeout (1 s, bridge.shutdown.timeout) passed with "
                    + sent.size() + " vendor request(s) in flight");
        }
        iterable.resetAll();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(success()));
        try (BridgeProcess bridge = launch()) {
            bridge.awaitHealthy(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).until(() -> deliveredIds().containsAll(sent));
        }
        assertThat(deliveredIds()).as("what was in flight at the timeout, delivered again after the restart")
                .containsExactlyInAnyOrderElementsOf(sent);
    }

    private HttpRequest track(int person, String event, String messageId) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + "/v1/track"))
                .header("Content-Type", "application/json")
                .header("Authorization", RunningBridge.basic(WRITE_KEY))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"userId":"person-%d","event":"%s","messageId":"%s","context":{"traits":{"email":"person-%d@example.com"}}}"""
                        .formatted(person, event, messageId, person))).build();
    }

    /** Posts one track after another; a sender that gets no 200 moves on to a new event (it is counted, not lost). */
    private Void send(int sender, AtomicBoolean sending) {
        for (int index = 0; sending.get(); index++) {
            String messageId = "rolling-" + sender + "-" + index + "-" + java.util.UUID.randomUUID();
            try {
                HttpResponse<String> response = client.send(track((sender * 7 + index) % PERSONS, "Step " + index, messageId),
                        HttpResponse.BodyHandlers.ofString());
                answers.computeIfAbsent(response.statusCode(), status -> new AtomicInteger()).incrementAndGet();
                if (response.statusCode() == 200) {
                    accepted.add(messageId);
                } else if (response.statusCode() == 503 && response.headers().firstValue("Retry-After").isPresent()) {
                    refusedWithRetryAfter.incrementAndGet();
                } else {
                    unexpected.add(response.statusCode() + " " + response.headers().map() + " " + response.body());
                }
            } catch (IOException refusedOrClosed) {
                // The server is closed or not yet open: the sender would send the event again later.
                answers.computeIfAbsent(0, status -> new AtomicInteger()).incrementAndGet();
                RunningBridge.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** Iterable's answer to a tracked event (a builder of its own each time: its delay setters change it). */
    private static ResponseDefinitionBuilder success() {
        return okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}");
    }

    /** The ids of every event Iterable received (repeats included). */
    private List<String> deliveredIds() {
        return iterable.findAll(postRequestedFor(urlEqualTo(TRACK))).stream().map(request -> idOf(request.getBodyAsString())).toList();
    }

    private static String idOf(String body) {
        try {
            return RunningBridge.JSON.readTree(body).path("id").asText();
        } catch (IOException e) {
            throw new IllegalStateException("Iterable received a body that is not JSON: " + body, e);
        }
    }

    private BridgeProcess launch() throws IOException {
        return launch(SHUTDOWN_TIMEOUT);
    }

    private BridgeProcess launch(Duration shutdownTimeout) throws IOException {
        Map<String, String> environment = new HashMap<>(Map.of(
                "BRIDGE_HTTP_PORT", Integer.toString(httpPort),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort),
                "BRIDGE_DATA_DIR", dataDir.toString(),
                "BRIDGE_WRITE_KEYS", WRITE_KEY,
                "BRIDGE_DESTINATIONS", "iterable",
                "BRIDGE_SHUTDOWN_TIMEOUT", shutdownTimeout.toSeconds() + "s",
                "ITERABLE_API_URL", iterable.baseUrl(),
                "ITERABLE_API_KEY", "iterable-rolling-key",
                "CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:routes/iterable/custom-events.yaml"));
        if (backend == Backend.CLUSTER) {
            if (clusterEnvironment == null) {
                clusterEnvironment = new HashMap<>(PostgresServer.shared().environment(
                        PostgresServer.shared().createDatabase("rolling_" + System.nanoTime())));
                clusterEnvironment.putAll(TestEventLog.clusterEnvironment(KafkaBroker.shared(), TestEventLog.newTopicPrefix()));
            }
            environment.putAll(clusterEnvironment);
        } else {
            environment.putAll(TestStateDatabase.environmentFor(dataDir));
        }
        // Requests in flight at once: enough that the senders' load keeps several of them out at every stop.
        environment.put("JAVA_TOOL_OPTIONS", "-Dbridge.delivery.max-concurrent-requests=16");
        return BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(), Path.of("").toAbsolutePath(), environment, managementPort);
    }
}
