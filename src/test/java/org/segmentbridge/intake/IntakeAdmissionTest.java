package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestHttp;

/**
 * Admission control over real HTTP: past the memory budget a request is answered 503 with Retry-After before its
 * body has arrived, and a body that does not arrive in time is answered 408; nothing of either is stored.
 */
class IntakeAdmissionTest {

    private static final String WRITE_KEY = "admission-write-key";
    /** One large batch fits, a second one does not. */
    private static final long BUDGET = 400_000;

    private static RunningBridge bridge;

    @BeforeAll
    static void startBridge() {
        bridge = RunningBridge.start(Map.of("bridge.write-keys", WRITE_KEY,
                "bridge.intake.max-in-flight-bytes", Long.toString(BUDGET),
                "bridge.intake.body-timeout", "2s"));
    }

    @AfterAll
    static void stopBridge() {
        bridge.close();
    }

    @Test
    void requestPastTheMemoryBudgetIsRefusedAtOnceWhileAnotherBodyIsStillArriving() throws Exception {
        String held = batch(1_300);
        assertThat(held.length()).isBetween(300_000, (int) BUDGET);
        try (Socket slow = new Socket("localhost", port())) {
            OutputStream out = slow.getOutputStream();
            byte[] body = held.getBytes(StandardCharsets.UTF_8);
            out.write(headers("/v1/batch", body.length).getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 1_000);
            out.flush();
            awaitMetric("bridge_intake_in_flight_bytes", body.length);

            long start = System.nanoTime();
            HttpResponse<String> refused = bridge.postTracking("/v1/batch", WRITE_KEY, batch(200));
            Duration answeredIn = Duration.ofNanos(System.nanoTime() - start);

            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(RunningBridge.json(refused).path("error").asText())
                    .contains("memory budget", "bridge.intake.max-in-flight-bytes", "nothing was kept");
            assertThat(answeredIn).isLessThan(Duration.ofSeconds(1));

            out.write(body, 1_000, body.length - 1_000);
            out.flush();
            assertThat(RunningBridge.httpLine(slow.getInputStream())).isEqualTo("HTTP/1.1 200 OK");
        }
        assertThat(bridge.metric("bridge_intake_requests_refused_total", Map.of("reason", "memory"))).isEqualTo(1);
        awaitMetric("bridge_intake_in_flight_bytes", 0);
        assertThat(bridge.postTracking("/v1/batch", WRITE_KEY, batch(200)).statusCode())
                .as("the budget is free again once the held request is answered").isEqualTo(200);
    }

    @Test
    void bodyThatDoesNotArriveInTimeIsAnswered408AndItsRoomGivenBack() throws Exception {
        String messageId = UUID.randomUUID().toString();
        byte[] body = ("{\"userId\":\"u-slow\",\"event\":\"Slow\",\"messageId\":\"" + messageId + "\"}").getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        try (Socket slow = new Socket("localhost", port())) {
            slow.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            out.write(headers("/v1/track", body.length).getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 10);
            out.flush();

            InputStream in = slow.getInputStream();
            assertThat(RunningBridge.httpLine(in)).isEqualTo("HTTP/1.1 408 Request Timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1_900), Duration.ofSeconds(5));
            String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(rest).contains("bridge.intake.body-timeout");
        }
        assertThat(bridge.queuedWhere("iterable", "messageId", messageId)).isEmpty();
        awaitMetric("bridge_intake_in_flight_bytes", 0);
    }

    @Test
    void aSenderThatHangsUpMidBodyIsCountedAndItsRoomGivenBack() throws Exception {
        double before = bridge.metric("bridge_intake_requests_abandoned_total");
        String messageId = UUID.randomUUID().toString();
        byte[] body = ("{\"userId\":\"u-gone\",\"event\":\"Gone\",\"messageId\":\"" + messageId + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket gone = new Socket("localhost", port())) {
            OutputStream out = gone.getOutputStream();
            out.write(headers("/v1/track", body.length).getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 10);
            out.flush();
            awaitMetric("bridge_intake_in_flight_bytes", body.length);
        }
        awaitMetric("bridge_intake_requests_abandoned_total", before + 1);
        awaitMetric("bridge_intake_in_flight_bytes", 0);
        assertThat(bridge.queuedWhere("iterable", "messageId", messageId)).isEmpty();
    }

    @Test
    void credentialsInTheUrlAreRefusedOnEveryEndpoint() {
        for (String path : java.util.List.of("/v1/track?Authorization=" + java.net.URLEncoder.encode(RunningBridge.basic(WRITE_KEY),
                StandardCharsets.UTF_8), "/webhooks/segment?x-signature=00", "/admin/dry-run?authorization=Bearer%20t")) {
            HttpResponse<String> refused = bridge.post(path, "{\"userId\":\"u\",\"event\":\"E\"}", "Content-Type", "application/json");

            assertThat(refused.statusCode()).as(path).isEqualTo(400);
            assertThat(RunningBridge.json(refused).path("error").asText()).contains("never in a URL");
        }
    }

    @Test
    void aSenderDuringARestartIsToldToRetryAndNeverThatThePathDoesNotExist() throws Exception {
        // Segment's libraries drop an event on any 4xx: a 404 while the routes are not up yet would lose it.
        HttpClient client = TestHttp.client(Duration.ofMillis(200));
        HttpRequest track = HttpRequest.newBuilder(URI.create(bridge.baseUrl() + "/v1/track"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json").header("Authorization", RunningBridge.basic(WRITE_KEY))
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"restart\",\"event\":\"During Restart\"}"))
                .build();
        CompletableFuture<Void> restarted = CompletableFuture.runAsync(bridge::restart);
        List<String> answers = new ArrayList<>();
        Set<String> refusals = new TreeSet<>();
        int refusedConnections = 0;
        boolean deliveredAfterRestart = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!deliveredAfterRestart && System.nanoTime() < deadline) {
            boolean restartDone = restarted.isDone();
            try {
                HttpResponse<String> answer = client.send(track, HttpResponse.BodyHandlers.ofString());
                answers.add(Integer.toString(answer.statusCode()));
                if (answer.statusCode() == 503) {
                    refusals.add(RunningBridge.json(answer).path("error").asText() + " / Retry-After "
                            + answer.headers().firstValue("Retry-After").orElse("none"));
                }
                deliveredAfterRestart = restartDone && answer.statusCode() == 200;
            } catch (IOException closed) {
                refusedConnections++;
                RunningBridge.sleep(1);
            }
        }
        restarted.join();

        assertThat(deliveredAfterRestart).as("a 200 once restarted; answers %s", answers).isTrue();
        assertThat(refusedConnections).as("the poll must have seen the bridge down").isPositive();
        assertThat(new TreeSet<>(answers)).as("every answer while stopping and starting").isSubsetOf("200", "503");
        assertThat(refusals).allSatisfy(refusal -> assertThat(refusal)
                .matches("the bridge is (starting|stopping); nothing was kept, retry later / Retry-After [0-9]+"));
    }

    private static void awaitMetric(String name, double value) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (bridge.metric(name) != value && System.nanoTime() < deadline) {
            RunningBridge.sleep(20);
        }
        assertThat(bridge.metric(name)).as(name).isEqualTo(value);
    }

    private static int port() {
        return Integer.parseInt(bridge.baseUrl().substring(bridge.baseUrl().lastIndexOf(':') + 1));
    }

    private static String headers(String path, int length) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: "
                + RunningBridge.basic(WRITE_KEY) + "\r\nContent-Length: " + length + "\r\n\r\n";
    }


    private static String batch(int events) {
        StringBuilder body = new StringBuilder("{\"batch\":[");
        for (int i = 0; i < events; i++) {
            body.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"event\":\"Budget Tested\",\"userId\":\"u-")
                    .append(i).append("\",\"messageId\":\"").append(UUID.randomUUID())
                    .append("\",\"properties\":{\"padding\":\"").append("x".repeat(150)).append("\"}}");
        }
        return body.append("]}").toString();
    }
}
