package org.segmentbridge.processor;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.crash.CrashPoints;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;
import org.segmentbridge.support.TestHttp;

/**
 * The bridge halted (no shutdown, no flush) between each pair of durable steps, from the intake's append to the
 * vendor's answer, then started again on the same data: every acknowledged event reaches the vendor, each person's
 * events arrive in the order they were sent, and the only repeats are of deliveries in flight at the crash (which
 * Iterable absorbs: the event's id is its messageId). A record the processor had claimed in the database but not yet
 * published is published once after the restart, not dropped as a duplicate of itself.
 *
 * <p>A sender that got no answer sends the same event again after the restart, as Segment's libraries do.
 */
class PipelineCrashTest {

    private static final String WRITE_KEY = "crash-key";
    private static final String TRACK = "/api/events/track";
    private static final int PERSONS = 3;
    private static final int EVENTS_PER_PERSON = 20;
    /**
     * Delivery sends one event per person at a time, and a person's next event goes once the last one is answered;
     * the reader acknowledges the answered one to the broker after that, in a transaction committed within 20 ms, and
     * events are sent 30 ms apart. So at the crash a person can have one event answered but not yet acknowledged
     * durably and the next one in flight: both go out again.
     */
    private static final int MAX_IN_FLIGHT_REPEATS = 2 * PERSONS;
    /** The crash comes on this pass through its point: after some events went through whole. */
    private static final int CRASH_ON_PASS = 10;

    private final WireMockServer iterable = new WireMockServer(options().dynamicPort());
    private final HttpClient client = TestHttp.client(Duration.ofSeconds(2));
    private Path dataDir;
    private int httpPort;
    private int managementPort;

    @BeforeEach
    void start() throws IOException {
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        dataDir = TestFolders.create("bridge-pipeline-crash-");
        httpPort = RunningBridge.freePort();
        managementPort = RunningBridge.freePort();
    }

    @AfterEach
    void stop() {
        iterable.stop();
    }

    @ParameterizedTest(name = "crash at {0}")
    @CsvSource({
            // the sender's resend is dropped as a duplicate of the appended copy
            "intake.appended, bridge_processor_events_dropped_total, reason=\"duplicate\"",
            "processor.identity-linked, , ",
            // the record claimed in the database is read again at the same position and published
            "processor.ledger-committed, bridge_processor_events_replayed_total, ",
            "processor.emitted, , ",
            "delivery.answered, , "})
    void aCrashBetweenAnyTwoStepsLosesNothingAndKeepsEachPersonsOrder(String point, String countedAfterTheRestart, String labels)
            throws Exception {
        List<String> sent = new ArrayList<>();
        Map<String, String> personOf = new LinkedHashMap<>();
        List<Event> events = events();
        int next = 0;

        try (BridgeProcess bridge = launch("-D" + CrashPoints.SETTING + "=" + point + ":" + CRASH_ON_PASS)) {
            bridge.awaitHealthy(Duration.ofSeconds(60));
            while (next < events.size() && send(events.get(next))) {
                sent.add(events.get(next).messageId());
                personOf.put(events.get(next).messageId(), events.get(next).person());
                next++;
                // Apart enough that the processor takes them one by one: the n-th pass is about the n-th event.
                RunningBridge.sleep(30);
            }
            // The point is on the way of every event: the bridge halts there, mid-run, with events acknowledged.
            assertThat(bridge.awaitExit(Duration.ofSeconds(20))).as("halted at %s", point).hasValue(86);
            assertThat(bridge.output()).contains("halting at crash point " + point);
        }
        int acknowledgedBeforeTheCrash = sent.size();
        assertThat(acknowledgedBeforeTheCrash).as("events acknowledged before the crash").isGreaterThan(0);

        try (BridgeProcess bridge = launch()) {
            bridge.awaitHealthy(Duration.ofSeconds(60));
            // The unanswered event first, sent again, then the rest.
            for (; next < events.size(); next++) {
                assertThat(send(events.get(next))).as("sent after the restart").isTrue();
                sent.add(events.get(next).messageId());
                personOf.put(events.get(next).messageId(), events.get(next).person());
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> deliveredIds().containsAll(sent));
            if (countedAfterTheRestart != null) {
                assertThat(metric(countedAfterTheRestart, labels == null ? "" : labels)).as(countedAfterTheRestart).isGreaterThanOrEqualTo(1);
            }
        }

        List<String> delivered = deliveredIds();
        Map<String, Long> times = delivered.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        System.out.printf("crash at %s: %d acknowledged before it, %d sent in all, %d deliveries of %d events%n",
                point, acknowledgedBeforeTheCrash, sent.size(), delivered.size(), times.size());
        assertThat(times.keySet()).as("every acknowledged event delivered").containsAll(sent);
        // Only what delivery had in flight at the crash goes out again (a request answered, not yet acknowledged).
        long repeated = delivered.size() - times.size();
        assertThat(repeated).as("deliveries repeated").isLessThanOrEqualTo(MAX_IN_FLIGHT_REPEATS);
        for (int person = 0; person < PERSONS; person++) {
            String name = "person-" + person;
            List<String> sentForPerson = sent.stream().filter(id -> name.equals(personOf.get(id))).toList();
            List<String> firstArrivals = new ArrayList<>(new LinkedHashSet<>(delivered)).stream()
                    .filter(id -> name.equals(personOf.get(id))).toList();
            assertThat(firstArrivals).as("%s's events in the order sent", name).containsExactlyElementsOf(sentForPerson);
        }
    }

    private record Event(String person, String messageId, String json) {
    }

    /** Each person's events interleaved, sent one at a time: the order sent is the order each person's must keep. */
    private static List<Event> events() {
        List<Event> events = new ArrayList<>();
        for (int index = 0; index < EVENTS_PER_PERSON; index++) {
            for (int person = 0; person < PERSONS; person++) {
                String messageId = "crash-" + person + "-" + index + "-" + UUID.randomUUID();
                events.add(new Event("person-" + person, messageId, """
                        {"userId":"person-%d","event":"Step %d","messageId":"%s",
                         "context":{"traits":{"email":"person-%d@example.com"}}}""".formatted(person, index, messageId, person)));
            }
        }
        return events;
    }

    /** True when the bridge answered 200; false when it went away (the crash). */
    private boolean send(Event event) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + "/v1/track"))
                .header("Content-Type", "application/json")
                .header("Authorization", RunningBridge.basic(WRITE_KEY))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(event.json())).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return true;
        } catch (IOException noAnswer) {
            return false;
        }
    }

    /** The ids of every event Iterable received, in the order it received them (repeats included). */
    private List<String> deliveredIds() {
        return iterable.findAll(postRequestedFor(urlEqualTo(TRACK))).stream()
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate).thenComparing(LoggedRequest::getLoggedDateString))
                .map(request -> idOf(request.getBodyAsString())).toList();
    }

    /** The sum of a metric's samples whose labels contain {@code labels}. */
    private double metric(String name, String labels) throws IOException, InterruptedException {
        String text = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + managementPort + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(line -> (line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(labels))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim())).sum();
    }

    private static String idOf(String body) {
        try {
            return RunningBridge.JSON.readTree(body).path("id").asText();
        } catch (IOException e) {
            throw new IllegalStateException("Iterable received a body that is not JSON: " + body, e);
        }
    }

    private BridgeProcess launch(String... systemProperties) throws IOException {
        Map<String, String> environment = new HashMap<>(Map.of(
                "BRIDGE_HTTP_PORT", Integer.toString(httpPort),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort),
                "BRIDGE_DATA_DIR", dataDir.toString(),
                "BRIDGE_WRITE_KEYS", WRITE_KEY,
                "BRIDGE_DESTINATIONS", "iterable",
                "ITERABLE_API_URL", iterable.baseUrl(),
                "ITERABLE_API_KEY", "iterable-crash-key",
                "CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:routes/iterable/custom-events.yaml"));
        environment.putAll(TestStateDatabase.environmentFor(dataDir));
        if (systemProperties.length > 0) {
            environment.put("JAVA_TOOL_OPTIONS", String.join(" ", systemProperties));
        }
        return BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(), Path.of("").toAbsolutePath(), environment, managementPort);
    }

}
