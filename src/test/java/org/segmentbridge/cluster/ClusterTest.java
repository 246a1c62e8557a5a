package org.segmentbridge.cluster;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.segmentbridge.support.KafkaBroker;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;

/**
 * Three bridge processes in cluster mode on one Kafka broker and one PostgreSQL server, all real, delivering Segment
 * track calls to one fake Iterable (whose event id is the messageId: a repeat is no second effect). Each test runs
 * load through the three while something fails: an erasure at one bridge, a dead letter handled from the others, a
 * PostgreSQL restart, a Kafka restart, one bridge killed. The bridge killed last is not started again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {

    private static final String TRACK = "/api/events/track";

    private final WireMockServer iterable = new WireMockServer(options().dynamicPort().containerThreads(40));
    private KafkaBroker kafka;
    private PostgresServer postgres;
    private Cluster cluster;
    /** messageId → person, of every event a bridge answered 200 for. */
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();

    @BeforeAll
    void start() throws IOException {
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        // Servers of its own: this test stops and kills them.
        kafka = KafkaBroker.start();
        postgres = PostgresServer.start();
        // The fake answers in milliseconds. With the shipped 30 s request timeout, the requests a killed bridge had in
        // flight would hold the shared pacer's slots for 67 s (VendorTransport.longestExchange), and every bridge's
        // deliveries to the vendor with them; 5 s makes that 17 s.
        cluster = new Cluster(kafka, postgres, 3, iterable.baseUrl(), "file:routes/iterable/custom-events.yaml,file:routes/iterable/erase.yaml",
                "-Dbridge.delivery.timeout.request=5s");
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        iterable.stop();
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    @Order(1)
    void anErasureAtOneBridgeBlocksThePersonAtTheOthersWithinASecond() throws Exception {
        String erased = "erased-" + UUID.randomUUID();
        String before = sendTrack(2, erased, "Before").orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveredIds().contains(before));

        HttpResponse<String> erasure = cluster.admin(0, "/admin/privacy/delete", "{\"userId\":\"" + erased + "\"}").orElseThrow();
        assertThat(erasure.statusCode()).as(erasure.body()).isEqualTo(202);
        RunningBridge.sleep(1000);

        List<String> after = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            after.add(sendTrack(1, erased, "After").orElseThrow());
            after.add(sendTrack(2, erased, "After").orElseThrow());
        }
        // Someone else's event, sent last to the same bridges: once it is delivered, the erased person's were handled.
        String witness1 = sendTrack(1, "witness-" + UUID.randomUUID(), "Witness").orElseThrow();
        String witness2 = sendTrack(2, "witness-" + UUID.randomUUID(), "Witness").orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveredIds().containsAll(List.of(witness1, witness2)));
        RunningBridge.sleep(500);
        assertThat(deliveredIds()).as("events of the erased person sent after the erasure").doesNotContainAnyElementsOf(after);
        assertThat(iterable.findAll(postRequestedFor(urlEqualTo(TRACK))).stream()
                .filter(request -> request.getBodyAsString().contains(erased)).count())
                .as("Iterable calls about the erased person: only the one before the erasure").isEqualTo(1);
    }

    @Test
    @Order(2)
    void aDeadLetterFromOneBridgeIsListedAtAnotherAndReplayedFromAThird() throws Exception {
        iterable.stubFor(post(urlEqualTo(TRACK)).withRequestBody(containing("Poisoned")).atPriority(1)
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"msg\":\"Invalid event\",\"code\":\"BadParams\",\"params\":{}}")));
        String poisoned = sendTrack(0, "poisoned-" + UUID.randomUUID(), "Poisoned").orElseThrow();
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.adminGet(1, "/admin/dead-letters?destination=iterable")
                .body().contains(poisoned));
        String id = StreamSupport.stream(RunningBridge.JSON.readTree(cluster.adminGet(1, "/admin/dead-letters?destination=iterable")
                        .body()).path("deadLetters").spliterator(), false)
                .filter(letter -> letter.path("messageId").asText().equals(poisoned)).findFirst().orElseThrow().path("id").asText();

        iterable.resetMappings();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        HttpResponse<String> replay = cluster.admin(2, "/admin/dead-letters/" + id + "/replay", "").orElseThrow();
        assertThat(replay.statusCode()).as(replay.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> deliveredIds().stream().filter(poisoned::equals).count() == 2);
        assertThat(cluster.adminGet(0, "/admin/dead-letters?destination=iterable").body()).doesNotContain(poisoned);
    }

    @Test
    @Order(3)
    void aPostgresRestartMidLoadKeepsTheIntakeAnsweringAndLosesNothing() throws Exception {
        List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
        Thread outage = new Thread(() -> {
            RunningBridge.sleep(1500);
            postgres.stop();
            RunningBridge.sleep(3000);
            postgres.startAgain();
        });
        outage.start();
        List<String> sent = sendLoad("pg", 60, 8, 100, statuses);
        outage.join();
        assertThat(statuses).as("the intake's answers while PostgreSQL restarted").containsOnly(200);
        await().atMost(Duration.ofSeconds(90)).until(() -> deliveredIds().containsAll(sent));
        // The work is shared by partition: every bridge processed and delivered some of it.
        for (int member = 0; member < cluster.size(); member++) {
            assertThat(cluster.metric(member, "bridge_processor_events_emitted_total", "")).as("events bridge %d processed", member)
                    .isPositive();
            assertThat(cluster.metric(member, "bridge_delivery_items_total", "outcome=\"delivered\"")).as("items bridge %d delivered", member)
                    .isPositive();
        }
    }

    @Test
    @Order(4)
    void aKafkaRestartMidLoadAnswers503WhileNothingCanBeWrittenAndLosesNothingAcknowledged() throws Exception {
        List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
        Thread outage = new Thread(() -> {
            RunningBridge.sleep(1500);
            kafka.kill();
            RunningBridge.sleep(4000);
            kafka.restart();
        });
        outage.start();
        List<String> sent = new ArrayList<>(sendLoad("kafka", 80, 8, 100, statuses));
        // restart() returns once every partition has a leader again, which on a busy machine can be after the load.
        outage.join();
        assertThat(statuses).as("the intake's answers: stored, or 503 while Kafka was down").containsOnly(200, 503);
        assertThat(statuses).as("answers while Kafka was down").contains(503);
        // With Kafka back the bridge recovers by itself: a sender that retries is soon stored, and then every time.
        List<Integer> untilStored = Collections.synchronizedList(new ArrayList<>());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            sent.addAll(sendLoad("kafka-back", 1, 8, 0, untilStored));
            return untilStored.get(untilStored.size() - 1) == 200;
        });
        System.out.printf("kafka: %d answers during the load (%d of them 503), %d tries after Kafka's restart until stored%n",
                statuses.size(), statuses.stream().filter(status -> status == 503).count(), untilStored.size());
        List<Integer> onceBack = Collections.synchronizedList(new ArrayList<>());
        sent.addAll(sendLoad("kafka-back", 5, 8, 100, onceBack));
        assertThat(onceBack).as("answers once Kafka is back and the bridge stored again").containsOnly(200);
        assertThat(untilStored).as("answers while the bridge reconnected").isSubsetOf(200, 503);
        await().atMost(Duration.ofSeconds(120)).until(() -> deliveredIds().containsAll(sent));
    }

    @Test
    @Order(5)
    void killingOneBridgeMidLoadLosesNothingAndKeepsEachPersonsOrder() throws Exception {
        int persons = 200;
        int perPerson = 25;
        List<String[]> events = new ArrayList<>();
        for (int index = 0; index < perPerson; index++) {
            for (int person = 0; person < persons; person++) {
                events.add(new String[] {"kill-person-" + person, "kill-" + person + "-" + index + "-" + UUID.randomUUID()});
            }
        }
        int batchSize = 50;
        int batches = events.size() / batchSize;
        Set<Integer> down = ConcurrentHashMap.newKeySet();
        List<String> sentInOrder = new ArrayList<>();
        for (int batch = 0; batch < batches; batch++) {
            if (batch == batches / 3) {
                cluster.kill(1);
                down.add(1);
            }
            List<String[]> slice = events.subList(batch * batchSize, (batch + 1) * batchSize);
            String body = slice.stream().map(event -> trackJson(event[0], event[1], "Step")).collect(Collectors.joining(",",
                    "{\"batch\":[", "]}"));
            // A sender with no answer sends the same batch again, to another bridge, as Segment's libraries retry.
            boolean stored = false;
            for (int attempt = 0; !stored && attempt < 12; attempt++) {
                int member = (batch + attempt) % cluster.size();
                if (down.contains(member)) {
                    continue;
                }
                Optional<HttpResponse<String>> answer = cluster.batch(member, body);
                stored = answer.isPresent() && answer.get().statusCode() == 200;
            }
            assertThat(stored).as("batch %d stored by a running bridge", batch).isTrue();
            slice.forEach(event -> {
                acknowledged.put(event[1], event[0]);
                sentInOrder.add(event[1]);
            });
            RunningBridge.sleep(40);
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> deliveredIds().containsAll(sentInOrder));

        List<LoggedRequest> calls = trackCalls();
        List<String> delivered = calls.stream().map(ClusterTest::idOf).toList();
        Map<String, Long> times = delivered.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        System.out.printf("kill: %d events acknowledged, %d deliveries of %d events%n", sentInOrder.size(), delivered.size(), times.size());
        assertThat(times.keySet()).as("every acknowledged event delivered").containsAll(sentInOrder);
        // A repeat carries its first delivery's id, which Iterable takes as the same event: no second effect.
        assertThat(calls).allSatisfy(call -> assertThat(idOf(call)).isNotBlank());
        List<String> firstArrivals = new ArrayList<>(new LinkedHashSet<>(delivered));
        for (int person = 0; person < persons; person++) {
            String name = "kill-person-" + person;
            List<String> sentForPerson = sentInOrder.stream().filter(id -> name.equals(acknowledged.get(id))).toList();
            assertThat(firstArrivals.stream().filter(id -> name.equals(acknowledged.get(id))).toList())
                    .as("%s's events in the order sent", name).containsExactlyElementsOf(sentForPerson);
        }
    }

    // ---- load -------------------------------------------------------------------------------------------------

    /** One track call; the messageId when a bridge answered 200. */
    private Optional<String> sendTrack(int member, String person, String event) {
        String messageId = "m-" + UUID.randomUUID();
        Optional<HttpResponse<String>> answer = cluster.post(member, "/v1/track", trackJson(person, messageId, event),
                "Authorization", RunningBridge.basic(Cluster.WRITE_KEY));
        if (answer.isPresent() && answer.get().statusCode() == 200) {
            acknowledged.put(messageId, person);
            return Optional.of(messageId);
        }
        return Optional.empty();
    }

    /**
     * Batches of {@code perBatch} events of {@code persons} people, round robin over the bridges, {@code pauseMillis}
     * apart; records every answer's status and returns the messageIds of the events answered 200.
     */
    private List<String> sendLoad(String name, int batches, int persons, long pauseMillis, List<Integer> statuses) {
        List<String> stored = new ArrayList<>();
        for (int batch = 0; batch < batches; batch++) {
            List<String[]> slice = new ArrayList<>();
            for (int person = 0; person < persons; person++) {
                slice.add(new String[] {name + "-person-" + person, name + "-" + batch + "-" + person + "-" + UUID.randomUUID()});
            }
            String body = slice.stream().map(event -> trackJson(event[0], event[1], "Load")).collect(Collectors.joining(",",
                    "{\"batch\":[", "]}"));
            Optional<HttpResponse<String>> answer = cluster.batch(batch % cluster.size(), body);
            int status = answer.map(HttpResponse::statusCode).orElse(-1);
            statuses.add(status);
            if (status == 200) {
                slice.forEach(event -> {
                    acknowledged.put(event[1], event[0]);
                    stored.add(event[1]);
                });
            }
            RunningBridge.sleep(pauseMillis);
        }
        return stored;
    }

    private static String trackJson(String person, String messageId, String event) {
        return """
                {"type":"track","userId":"%s","event":"%s","messageId":"%s","context":{"traits":{"email":"%s@example.com"}}}"""
                .formatted(person, event, messageId, person);
    }

    // ---- what Iterable received -----------------------------------------------------------------------------

    private List<LoggedRequest> trackCalls() {
        return iterable.findAll(postRequestedFor(urlEqualTo(TRACK))).stream()
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    private List<String> deliveredIds() {
        return trackCalls().stream().map(ClusterTest::idOf).toList();
    }

    private static String idOf(LoggedRequest request) {
        try {
            return RunningBridge.JSON.readTree(request.getBodyAsString()).path("id").asText();
        } catch (IOException e) {
            throw new IllegalStateException("Iterable received a body that is not JSON: " + request.getBodyAsString(), e);
        }
    }
}
