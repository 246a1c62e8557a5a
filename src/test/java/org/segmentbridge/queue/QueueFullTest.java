package org.segmentbridge.queue;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.Test;
import org.segmentbridge.processor.Processor;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/**
 * A full queue never hangs a request: with the data folder on a small file system of its own (a tmpfs the test
 * mounts) filled to below the disk reserve, or with a destination's backlog at its bound, every request is answered
 * 503 with Retry-After within a second, health says why, delivery goes on, and intake resumes once there is room.
 */
class QueueFullTest {

    private static final String WRITE_KEY = "queue-full-write-key";
    private static final long RESERVE = 24L * 1024 * 1024;

    @Test
    void fullDiskAnswers503AtOnceAndRecoversWhenSpaceIsFreed() throws Exception {
        Path mount = TestFolders.create("bridge-small-disk-");
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", mount.toString()) == 0,
                "mounting a tmpfs needs root (CI runs as root)");
        WireMockServer iterable = fakeIterable();
        try (RunningBridge bridge = RunningBridge.start(mount.resolve("data"), settings(iterable, Map.of(
                "bridge.queue.min-free-disk", Long.toString(RESERVE))))) {
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                acknowledged.add(sendAccepted(bridge));
            }

            Path filler = mount.resolve("filler");
            long free = Files.getFileStore(mount).getUsableSpace();
            fill(filler, free - RESERVE / 2);
            RunningBridge.sleep(300); // the free space is read at most every quarter second
            for (int i = 0; i < 10; i++) {
                long start = System.nanoTime();
                HttpResponse<String> refused = bridge.postTracking("/v1/track", WRITE_KEY, track(UUID.randomUUID().toString()));
                Duration answeredIn = Duration.ofNanos(System.nanoTime() - start);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("30");
                assertThat(RunningBridge.json(refused).path("error").asText()).contains("bridge.queue.min-free-disk");
                assertThat(answeredIn).isLessThan(Duration.ofSeconds(1));
            }
            HttpResponse<String> health = bridge.getManagement("/observe/health/ready");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).contains("bridge.queue.min-free-disk");
            assertThat(bridge.metric("bridge_queue_full")).isEqualTo(1);
            assertThat(bridge.getManagement("/observe/health/live").statusCode())
                    .as("alive: a restart would free nothing, delivery drains").isEqualTo(200);

            Files.delete(filler);
            acknowledged.add(awaitAccepted(bridge, Duration.ofSeconds(5)));
            assertThat(bridge.getManagement("/observe/health").statusCode()).isEqualTo(200);

            Map<String, Long> delivered = awaitDelivered(iterable, Set.copyOf(acknowledged), Duration.ofSeconds(30));
            assertThat(delivered.keySet()).containsAll(acknowledged);
            assertThat(delivered.values()).allMatch(count -> count == 1);
        } finally {
            iterable.stop();
            run("umount", "-l", mount.toString());
        }
    }

    @Test
    void backlogAtItsBoundAnswers503NamingTheSettingWhileDeliveryDrains() throws Exception {
        WireMockServer iterable = fakeIterable();
        try (RunningBridge bridge = RunningBridge.start(backlogBoundOfFive(iterable))) {
            for (int i = 0; i < 5; i++) {
                sendAccepted(bridge);
            }

            assertRefusedAtTheBound(bridge, "destination iterable has 5 events waiting");
            assertThat(bridge.metric("bridge_queue_depth", Map.of("destination", "iterable"))).isEqualTo(5);
            assertThat(bridge.metric("bridge_queue_oldest_age_seconds", Map.of("destination", "iterable"))).isPositive();
            assertThat(bridge.metric("bridge_intake_requests_refused_total", Map.of("reason", "backlog"))).isEqualTo(1);
        } finally {
            iterable.stop();
        }
    }

    @Test
    void intakeLogAtItsBoundAnswers503NamingItAndDrainsOnceTheProcessorTakesIt() throws Exception {
        WireMockServer iterable = fakeIterable();
        try (RunningBridge bridge = RunningBridge.start(backlogBoundOfFive(iterable))) {
            Processor processor = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("processor", Processor.class);
            processor.stop();
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                acknowledged.add(sendAccepted(bridge));
            }
            assertThat(bridge.metric("bridge_intake_log_depth")).as("appends the stopped processor has not taken").isEqualTo(5);

            assertRefusedAtTheBound(bridge, "the intake log holds 5 appends");

            processor.start();
            assertThat(bridge.queued("iterable")).extracting(event -> event.body().path("messageId").asText())
                    .containsExactlyElementsOf(acknowledged);
            assertThat(bridge.metric("bridge_intake_log_depth")).isZero();
        } finally {
            iterable.stop();
        }
    }

    /** A bound of 5 and no route yet: the backlog only grows. */
    private static Map<String, String> backlogBoundOfFive(WireMockServer iterable) throws IOException {
        return settings(iterable, Map.of(
                "bridge.queue.max-backlog", "5",
                "camel.main.routesIncludePattern", "file:" + TestFolders.create("bridge-no-routes-") + "/*.yaml"));
    }

    private static void assertRefusedAtTheBound(RunningBridge bridge, String naming) {
        RunningBridge.sleep(300); // the capacity is read at most every quarter second
        HttpResponse<String> refused = bridge.postTracking("/v1/track", WRITE_KEY, track(UUID.randomUUID().toString()));
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("10");
        assertThat(RunningBridge.json(refused).path("error").asText()).contains(naming, "bridge.queue.max-backlog");
    }

    private static Map<String, String> settings(WireMockServer iterable, Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "bridge.write-keys", WRITE_KEY,
                "bridge.destinations", "iterable",
                "bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", "queue-full-iterable-key",
                "bridge.destination.iterable.batch.flush", "200ms",
                "camel.main.routesIncludePattern", "file:src/test/resources/routes/tracks-to-iterable.yaml"));
        settings.putAll(more);
        return settings;
    }

    private static WireMockServer fakeIterable() {
        WireMockServer iterable = new WireMockServer(options().dynamicPort());
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        return iterable;
    }

    private static String sendAccepted(RunningBridge bridge) {
        String messageId = UUID.randomUUID().toString();
        HttpResponse<String> response = bridge.postTracking("/v1/track", WRITE_KEY, track(messageId));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return messageId;
    }

    private static String awaitAccepted(RunningBridge bridge, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            String messageId = UUID.randomUUID().toString();
            HttpResponse<String> response = bridge.postTracking("/v1/track", WRITE_KEY, track(messageId));
            if (response.statusCode() == 200) {
                return messageId;
            }
            assertThat(System.nanoTime()).as("accepted again within %s", within).isLessThan(deadline);
            RunningBridge.sleep(100);
        }
    }

    private static String track(String messageId) {
        return "{\"userId\":\"u-" + messageId + "\",\"event\":\"Disk Tested\",\"messageId\":\"" + messageId
                + "\",\"context\":{\"traits\":{\"email\":\"" + messageId + "@example.com\"}}}";
    }

    private static Map<String, Long> awaitDelivered(WireMockServer iterable, Set<String> expected, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        Map<String, Long> delivered;
        do {
            delivered = iterable.findAll(anyRequestedFor(urlEqualTo("/api/events/track"))).stream()
                    .map(request -> readTree(request.getBodyAsString()).path("id").asText())
                    .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
            if (delivered.keySet().containsAll(expected)) {
                return delivered;
            }
            RunningBridge.sleep(200);
        } while (System.nanoTime() < deadline);
        return delivered;
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return RunningBridge.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void fill(Path file, long bytes) throws IOException {
        try (RandomAccessFile filler = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] block = new byte[1024 * 1024];
            for (long written = 0; written < bytes; written += block.length) {
                filler.write(block, 0, (int) Math.min(block.length, bytes - written));
            }
        }
    }

    private static int run(String... command) throws Exception {
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
