package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;
import org.segmentbridge.support.TestHttp;

/** Accepted events survive a crash and a restart: the 200 answer means the event is on disk. */
class DurabilityTest {

    private static final String WRITE_KEY = "durable-key";
    private static final List<String> DESTINATIONS = List.of("emarsys", "sailthru", "iterable", "segment");

    @Test
    void everyAcknowledgedEventSurvivesAKillDashNineUnderLoad() throws Exception {
        Path dataDir = TestFolders.create("bridge-crash-");
        int httpPort = RunningBridge.freePort();
        int managementPort = RunningBridge.freePort();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        String output;

        Map<String, String> environment = new HashMap<>(Map.of("BRIDGE_HTTP_PORT", Integer.toString(httpPort),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort),
                "BRIDGE_DATA_DIR", dataDir.toString(),
                "BRIDGE_WRITE_KEYS", WRITE_KEY,
                // No routes: every destination keeps its copy, so all four queues can be checked after the crash.
                "CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:" + TestFolders.create("bridge-no-routes-") + "/*.yaml"));
        environment.putAll(TestStateDatabase.environmentFor(dataDir));
        // Its own temporary folder, to show that a killed bridge leaves nothing there (Vert.x' file cache is off).
        Path temporary = TestFolders.create("bridge-durability-tmp-");
        try (BridgeProcess process = BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(temporary), Path.of("").toAbsolutePath(),
                environment, managementPort)) {
            process.awaitHealthy(Duration.ofSeconds(60));

            AtomicBoolean crashed = new AtomicBoolean();
            ExecutorService senders = Executors.newFixedThreadPool(4);
            HttpClient client = TestHttp.client(Duration.ofSeconds(2));
            for (int sender = 0; sender < 4; sender++) {
                senders.submit(() -> {
                    while (!crashed.get()) {
                        String messageId = UUID.randomUUID().toString();
                        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + "/v1/track"))
                                .header("Content-Type", "application/json")
                                .header("Authorization", RunningBridge.basic(WRITE_KEY))
                                .timeout(Duration.ofSeconds(5))
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"userId\":\"crash\",\"event\":\"Load\",\"messageId\":\"" + messageId + "\"}"))
                                .build();
                        try {
                            if (client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                                acknowledged.add(messageId);
                            }
                        } catch (Exception connectionLostInTheCrash) {
                            // no answer: the sender would retry; the event may or may not be stored
                        }
                    }
                    return null;
                });
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (acknowledged.size() < 300 && System.nanoTime() < deadline) {
                RunningBridge.sleep(20);
            }
            process.kill();
            crashed.set(true);
            senders.shutdown();
            assertThat(senders.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            output = process.output();
        }

        assertThat(acknowledged).as("events acknowledged before the kill").hasSizeGreaterThanOrEqualTo(100);
        assertThat(TestFolders.contents(temporary)).as("left in the temporary folder by the killed bridge").isEmpty();
        assertThat(output).as("the bridge logs the endpoint it disables for lack of a secret")
                .contains("Endpoint /webhooks/segment is disabled and answers 401: SEGMENT_WEBHOOK_SECRET is not set")
                .doesNotContain(WRITE_KEY);

        try (RunningBridge reopened = RunningBridge.start(dataDir, Map.of("bridge.write-keys", WRITE_KEY))) {
            for (String destination : DESTINATIONS) {
                Map<String, Long> stored = reopened.queued(destination).stream()
                        .map(event -> event.body().path("messageId").asText())
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
                System.out.printf("%s: %d acknowledged before the kill, %d stored after it%n", destination, acknowledged.size(), stored.size());
                assertThat(stored.keySet()).as("acknowledged events on %s after the crash", destination).containsAll(acknowledged);
                assertThat(stored.values()).as("each event stored once on %s", destination).allMatch(count -> count == 1);
            }
        }
    }

    @Test
    void queuedEventsAndTheDedupeLedgerSurviveARestart() {
        String messageId = UUID.randomUUID().toString();
        String event = "{\"anonymousId\":\"a-restart\",\"event\":\"Queued\",\"messageId\":\"" + messageId + "\"}";
        try (RunningBridge bridge = RunningBridge.start(Map.of("bridge.write-keys", WRITE_KEY))) {
            assertThat(bridge.postTracking("/v1/track", WRITE_KEY, event).statusCode()).isEqualTo(200);
            String batch = "{\"batch\":[" + "{\"type\":\"page\",\"anonymousId\":\"a-restart\",\"name\":\"P\"},".repeat(99)
                    + "{\"type\":\"page\",\"anonymousId\":\"a-restart\",\"name\":\"P\"}]}";
            assertThat(bridge.postTracking("/v1/batch", WRITE_KEY, batch).statusCode()).isEqualTo(200);

            bridge.restart();

            for (String destination : DESTINATIONS) {
                assertThat(bridge.queued(destination)).as(destination).hasSize(101);
            }
            assertThat(bridge.metric("bridge_queue_depth{destination=\"emarsys\"}")).isEqualTo(101);
            assertThat(bridge.postTracking("/v1/track", WRITE_KEY, event).statusCode()).isEqualTo(200);
            assertThat(bridge.queuedWhere("emarsys", "messageId", messageId)).as("resent after restart").hasSize(1);
        }
    }
}
