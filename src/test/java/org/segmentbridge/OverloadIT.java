package org.segmentbridge;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestHttp;

/**
 * The flood that once wedged the bridge, against the packaged jar with the README's {@code -Xmx256m}: 32 clients at
 * once, each posting {@code /v1/batch} requests of about 480 KB (2,400 small tracks), three rounds. Every answer is a
 * 200 or a 503 with Retry-After, every event answered 200 reaches the fake Iterable exactly once (by its {@code id},
 * Iterable's idempotency key), and a new event goes through right after the flood.
 */
class OverloadIT {

    private static final int CLIENTS = 32;
    private static final int ROUNDS = 3;
    private static final int EVENTS_PER_BATCH = 2_400;
    private static final String WRITE_KEY = "overload-write-key";
    private static final String TRACK_BULK = "/api/events/trackBulk";

    private final HttpClient http = TestHttp.client(Duration.ofSeconds(5));

    @Test
    void floodOfLargeBatchesIsStoredOrRefusedWithRetryAfterAndEveryAcceptedEventIsDeliveredOnce() throws Exception {
        WireMockServer iterable = new WireMockServer(options().dynamicPort().containerThreads(8)
                .jettyAcceptors(1).maxRequestJournalEntries(100_000));
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        Path project = projectWithOneRoute();
        int httpPort = RunningBridge.freePort();
        int managementPort = RunningBridge.freePort();
        Map<String, String> environment = new HashMap<>(Map.of(
                "BRIDGE_HTTP_PORT", Integer.toString(httpPort),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort),
                "BRIDGE_WRITE_KEYS", WRITE_KEY,
                "BRIDGE_DESTINATIONS", "iterable",
                "ITERABLE_API_URL", iterable.baseUrl(),
                "ITERABLE_API_KEY", "overload-iterable-key"));
        try (BridgeProcess bridge = BridgeProcess.launch(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", Path.of("target", "segment-bridge.jar").toAbsolutePath().toString()), project, environment,
                managementPort)) {
            try {
                floodAndCheck(bridge, iterable, "http://localhost:" + httpPort);
            } finally {
                keepLog(bridge);
            }
        } finally {
            iterable.stop();
        }
    }

    private void floodAndCheck(BridgeProcess bridge, WireMockServer iterable, String intake) throws Exception {
        bridge.awaitHealthy(Duration.ofSeconds(60));
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
        List<String> wrongAnswers = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        long floodStart = System.nanoTime();
        List<Future<?>> running = new ArrayList<>();
        for (int client = 0; client < CLIENTS; client++) {
            int clientId = client;
            running.add(clients.submit(() -> {
                for (int round = 0; round < ROUNDS; round++) {
                    List<String> ids = new ArrayList<>(EVENTS_PER_BATCH);
                    String body = batch("c" + clientId + "r" + round, ids);
                    HttpResponse<String> response = post(intake + "/v1/batch", body);
                    answers.computeIfAbsent(response.statusCode(), any -> new AtomicInteger()).incrementAndGet();
                    if (response.statusCode() == 200) {
                        acknowledged.addAll(ids);
                    } else if (response.statusCode() != 503 || response.headers().firstValue("Retry-After").isEmpty()) {
                        synchronized (wrongAnswers) {
                            wrongAnswers.add(response.statusCode() + " " + response.headers().map() + " " + response.body());
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> client : running) {
            client.get(5, TimeUnit.MINUTES);
        }
        clients.shutdown();
        Duration flood = Duration.ofNanos(System.nanoTime() - floodStart);

        // Right after the flood a new event is accepted and delivered within 10 s.
        long afterFlood = System.nanoTime();
        List<String> fresh = new ArrayList<>();
        HttpResponse<String> single = awaitAccepted(intake, batch("after", fresh, 1), Duration.ofSeconds(10));
        String freshId = fresh.get(0);
        Duration accepted = Duration.ofNanos(System.nanoTime() - afterFlood);

        long drainStart = System.nanoTime();
        Map<String, Integer> delivered = awaitDelivered(iterable, acknowledged.size() + 1, Duration.ofMinutes(6));
        Duration drain = Duration.ofNanos(System.nanoTime() - drainStart);
        System.out.printf("overload: %d requests in %d ms, answers %s, %d events acknowledged, new event accepted after %d ms,"
                        + " %d delivered in %d s after the flood, bridge peak RSS %d MB%n", CLIENTS * ROUNDS, flood.toMillis(), answers,
                acknowledged.size(), accepted.toMillis(), delivered.size(), drain.toSeconds(), peakRssMegabytes(bridge.pid()));

        assertThat(wrongAnswers).as("answers other than 200 or 503 with Retry-After").isEmpty();
        assertThat(answers.getOrDefault(200, new AtomicInteger()).get()).as("some batches were stored").isPositive();
        assertThat(single.statusCode()).as("a new event within 10 s of the flood").isEqualTo(200);
        assertThat(delivered.containsKey(freshId)).as("the event sent after the flood was delivered").isTrue();
        assertThat(acknowledged.stream().filter(id -> !delivered.containsKey(id)).limit(5).toList())
                .as("acknowledged events that never reached Iterable (first 5)").isEmpty();
        assertThat(delivered.entrySet().stream().filter(entry -> entry.getValue() > 1).map(Map.Entry::getKey).limit(5).toList())
                .as("events delivered more than once (first 5)").isEmpty();
        assertThat(delivered.keySet().stream().filter(id -> !acknowledged.contains(id) && !id.equals(freshId)).limit(5).toList())
                .as("events delivered though refused (first 5)").isEmpty();
        assertThat(bridge.output()).doesNotContain("OutOfMemoryError");
    }

    private void keepLog(BridgeProcess bridge) throws java.io.IOException {
        // The bridge's own log, for reading after a failed run (CI keeps target/).
        Files.writeString(Path.of("target", "overload-bridge.log"), bridge.output());
    }


    /** Deliveries per event id, once every expected event has arrived (or the time is up). */
    private static Map<String, Integer> awaitDelivered(WireMockServer iterable, int expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Integer> delivered = Map.of();
        while (System.nanoTime() < deadline) {
            delivered = deliveredIds(iterable);
            if (delivered.size() >= expected) {
                return delivered;
            }
            Thread.sleep(1000);
        }
        return delivered;
    }

    private static Map<String, Integer> deliveredIds(WireMockServer iterable) throws java.io.IOException {
        Map<String, Integer> counts = new HashMap<>();
        for (LoggedRequest request : iterable.findAll(anyRequestedFor(urlEqualTo(TRACK_BULK)))) {
            for (JsonNode event : RunningBridge.JSON.readTree(request.getBody()).path("events")) {
                counts.merge(event.path("id").asText(), 1, Integer::sum);
            }
        }
        return counts;
    }

    private HttpResponse<String> awaitAccepted(String intake, String body, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        HttpResponse<String> response;
        do {
            response = post(intake + "/v1/batch", body);
            if (response.statusCode() == 200) {
                return response;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return response;
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", RunningBridge.basic(WRITE_KEY))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String batch(String prefix, List<String> ids) {
        return batch(prefix, ids, EVENTS_PER_BATCH);
    }

    /** About 200 bytes an event: a small track of one of a few people, each with their email. */
    private static String batch(String prefix, List<String> ids, int events) {
        StringBuilder body = new StringBuilder(events * 210).append("{\"batch\":[");
        for (int i = 0; i < events; i++) {
            String id = prefix + "-" + i;
            ids.add(id);
            // One person per event: delivery keeps each person's events in order, so few people would pace it, not the bridge.
            String person = id;
            body.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"event\":\"Flood Tested\",\"userId\":\"user-")
                    .append(person).append("\",\"messageId\":\"").append(id)
                    .append("\",\"context\":{\"traits\":{\"email\":\"person").append(person)
                    .append("@example.com\"}},\"properties\":{\"n\":").append(i).append(",\"note\":\"flood\"}}");
        }
        return body.append("]}").toString();
    }

    private static Path projectWithOneRoute() throws Exception {
        Path project = TestFolders.create("bridge-overload-");
        Files.copy(Path.of("application.properties"), project.resolve("application.properties"));
        Files.createDirectories(project.resolve("mappings"));
        Files.createDirectories(project.resolve("routes"));
        Files.writeString(project.resolve("routes/flood.yaml"), """
                - route:
                    id: flood-to-iterable
                    from:
                      uri: events:iterable
                      steps:
                        - filter:
                            simple: "${header.eventType} == 'track'"
                            steps:
                              - to: identity:require-key
                              - to: deliver:iterable:event-bulk
                """);
        return project;
    }

    /** A process's peak resident memory so far, as the kernel counts it (VmHWM). */
    private static long peakRssMegabytes(long pid) throws java.io.IOException {
        String hwm = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(line -> line.startsWith("VmHWM:")).collect(Collectors.joining()).replaceAll("\\D", "");
        return Long.parseLong(hwm) / 1024;
    }
}
