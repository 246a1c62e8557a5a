package org.segmentbridge.state;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;
import org.slf4j.LoggerFactory;

/**
 * Issue 14: after the state database failed (H2 closed it after an out-of-memory error) every intake request answered
 * 503 for as long as the process lived, delivery stopped, and health stayed 200. Here the real application, under
 * load, delivering to a fake Iterable with the shipped route, has its state database fail the same way, and the file
 * stays locked for a while (it cannot be reopened). Meanwhile the intake answers 503 with Retry-After, quickly;
 * health turns 503; then, with no restart, everything recovers by itself and nothing accepted is lost or doubled.
 */
class StoreFailureTest {

    private static final String WRITE_KEY = "store-failure-key";
    private static final String ADMIN = "store-failure-admin";
    private static final String API_KEY = "iterable-key";
    private static final String OK = "{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}";
    private static final int SENDERS = 3;
    /** How long the database file stays locked after the failure: the database cannot be reopened meanwhile. */
    private static final Duration UNAVAILABLE = Duration.ofSeconds(2);

    /** One answer of the intake. */
    private record Answer(long atMillis, int status, String retryAfter, long tookMillis) {
    }

    @Test
    void aFailedStateDatabaseRecoversByItselfUnderLoadAndNothingAcceptedIsLostOrDoubled() throws Exception {
        String password = "state-pw-" + UUID.randomUUID();
        WireMockServer iterable = new WireMockServer(options().dynamicPort());
        iterable.start();
        // A slowish vendor and few events held per destination: events wait in the queue, so delivery is reading (and
        // its route asking the store about consent) while the store is down.
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson(OK).withFixedDelay(100)));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        ExecutorService load = Executors.newFixedThreadPool(SENDERS + 1);
        AtomicBoolean stop = new AtomicBoolean();
        try (RunningBridge bridge = RunningBridge.start(Map.ofEntries(
                Map.entry("bridge.destinations", "iterable"),
                Map.entry("bridge.write-keys", WRITE_KEY),
                Map.entry("bridge.admin-token", ADMIN),
                Map.entry("bridge.state.password", password),
                Map.entry("camel.main.routesIncludePattern", "file:routes/iterable/custom-events.yaml"),
                Map.entry("bridge.destination.iterable.base-url", iterable.baseUrl()),
                Map.entry("bridge.destination.iterable.api-key", API_KEY),
                Map.entry("bridge.destination.iterable.rate.requests", "2000"),
                Map.entry("bridge.destination.iterable.max-in-flight", "5"),
                Map.entry("bridge.destination.iterable.retry.initial-delay", "200ms")))) {
            CamelContext camel = bridge.main().getCamelContext();
            StateStore store = camel.getRegistry().lookupByNameAndType("stateStore", StateStore.class);
            long start = System.currentTimeMillis();

            Set<String> accepted = ConcurrentHashMap.newKeySet();
            Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
            Queue<Answer> answers = new ConcurrentLinkedQueue<>();
            Queue<String> unexpected = new ConcurrentLinkedQueue<>();
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            for (int sender = 0; sender < SENDERS; sender++) {
                String person = "store-load-" + sender;
                load.submit(() -> {
                    while (!stop.get()) {
                        String messageId = UUID.randomUUID().toString();
                        String body = "{\"userId\":\"" + person + "\",\"event\":\"Load\",\"messageId\":\"" + messageId
                                + "\",\"context\":{\"traits\":{\"email\":\"" + person + "@example.com\"}}}";
                        // Like Segment's libraries: an event answered 503 is sent again, same messageId, until it is
                        // taken (after a tenth of a second here, not the Retry-After's 5 s, to keep the test short).
                        while (!stop.get()) {
                            HttpRequest request = HttpRequest.newBuilder(URI.create(bridge.baseUrl() + "/v1/track"))
                                    .header("Content-Type", "application/json")
                                    .header("Authorization", RunningBridge.basic(WRITE_KEY))
                                    .timeout(Duration.ofSeconds(10))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                            long sent = System.currentTimeMillis();
                            try {
                                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                                long now = System.currentTimeMillis();
                                answers.add(new Answer(now - start, response.statusCode(),
                                        response.headers().firstValue("Retry-After").orElse(null), now - sent));
                                if (response.statusCode() == 200) {
                                    accepted.add(messageId);
                                    acceptedAt.put(messageId, now - start);
                                    break;
                                }
                                if (response.statusCode() != 503) {
                                    unexpected.add(response.statusCode() + " " + response.body());
                                    break;
                                }
                            } catch (Exception noAnswer) {
                                unexpected.add("no answer within 10 s: " + noAnswer);
                            }
                            RunningBridge.sleep(100);
                        }
                        RunningBridge.sleep(5);
                    }
                    return null;
                });
            }
            Queue<long[]> health = new ConcurrentLinkedQueue<>();
            load.submit(() -> {
                while (!stop.get()) {
                    try {
                        health.add(new long[] {System.currentTimeMillis() - start, bridge.getManagement("/observe/health").statusCode()});
                    } catch (IllegalStateException noAnswer) {
                        health.add(new long[] {System.currentTimeMillis() - start, 0});
                    }
                    RunningBridge.sleep(100);
                }
                return null;
            });

            // Running normally: events accepted and delivered.
            await().atMost(Duration.ofSeconds(20)).until(() -> accepted.size() >= 150 && delivered(iterable).size() >= 50);

            // H2 closes the database as it does after an OutOfMemoryError inside a statement (the failure of the issue).
            // It happens on a pooled connection this test keeps in use, like a request still busy with it, and underneath
            // the pool (which would close it at once): the store does not open the file again while it is open, so the
            // test can lock the file first, and the database cannot be reopened until the lock goes.
            Connection victim = store.dataSource().getConnection();
            long failedAt = System.currentTimeMillis() - start;
            assertThat(H2Failures.outOfMemoryThrough(victim.unwrap(Connection.class)).getErrorCode()).isEqualTo(90108);
            AutoCloseable fileLock = H2Failures.lockDatabaseFile(bridge.dataDir(), Duration.ofSeconds(5));
            try {
                victim.close();
            } catch (SQLException evicted) {
                // a connection to a closed database
            }
            String healthMessage;
            long unlockedAt;
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> health.stream().anyMatch(h -> h[0] > failedAt && h[1] == 503));
                HealthCheck.Result result = HealthCheckHelper.invoke(camel).stream()
                        .filter(check -> check.getCheck().getId().equals("state-store")).findFirst().orElseThrow();
                assertThat(result.getState()).isEqualTo(HealthCheck.State.DOWN);
                healthMessage = result.getMessage().orElse("");
                long elapsed = System.currentTimeMillis() - start - failedAt;
                RunningBridge.sleep(Math.max(0, UNAVAILABLE.toMillis() - elapsed));
            } finally {
                fileLock.close();
                unlockedAt = System.currentTimeMillis() - start;
            }

            // Recovery, by itself: health 200 again, events accepted again, delivered again.
            await().atMost(Duration.ofSeconds(20)).until(() -> health.stream().anyMatch(h -> h[0] > unlockedAt && h[1] == 200));
            long healthyAt = health.stream().filter(h -> h[0] > unlockedAt && h[1] == 200).mapToLong(h -> h[0]).min().orElseThrow();
            await().atMost(Duration.ofSeconds(20)).until(() -> acceptedAt.values().stream().filter(at -> at > healthyAt).count() >= 100);
            stop.set(true);
            load.shutdown();
            assertThat(load.awaitTermination(20, TimeUnit.SECONDS)).isTrue();

            await().atMost(Duration.ofSeconds(30)).until(() -> delivered(iterable).keySet().containsAll(accepted));
            RunningBridge.sleep(500); // anything sent twice would arrive now
            Map<String, Long> delivered = delivered(iterable);

            long firstDown = health.stream().filter(h -> h[0] > failedAt && h[1] == 503).mapToLong(h -> h[0]).min().orElseThrow();
            List<Answer> refused = answers.stream().filter(answer -> answer.status() != 200).toList();
            long slowest = answers.stream().mapToLong(Answer::tookMillis).max().orElse(0);
            long lastAcceptedAfter = acceptedAt.values().stream().mapToLong(Long::longValue).max().orElse(0);
            System.out.printf("StoreFailureTest: failed at %d ms; health 503 after %d ms; file unlocked after %d ms; health 200 again "
                            + "%d ms after the failure (%d ms after the unlock); %d events accepted (%d answers 503, slowest answer %d ms), "
                            + "%d delivered, the last accepted at %d ms%n",
                    failedAt, firstDown - failedAt, unlockedAt - failedAt, healthyAt - failedAt, healthyAt - unlockedAt, accepted.size(),
                    refused.size(), slowest, delivered.size(), lastAcceptedAfter);

            assertThat(unexpected).as("answers other than 200 and 503, and requests left unanswered").isEmpty();
            assertThat(refused).as("the intake refused events while the store was down").isNotEmpty()
                    .allSatisfy(answer -> {
                        assertThat(answer.status()).isEqualTo(503);
                        assertThat(answer.retryAfter()).isEqualTo("5");
                    });
            assertThat(slowest).as("slowest intake answer (ms)").isLessThan(5_000);
            assertThat(healthMessage).as("the health check names the problem").startsWith("the state database")
                    .doesNotContain(password);
            assertThat(firstDown - failedAt).as("ms until health said 503").isLessThan(5_000);

            assertThat(delivered.keySet()).as("events delivered to Iterable").isEqualTo(accepted);
            assertThat(delivered).as("deliveries per messageId (Iterable's id)").allSatisfy((id, times) -> assertThat(times).isEqualTo(1L));
            assertThat(acceptedAt.values().stream().filter(at -> at > healthyAt).count()).as("accepted after the recovery").isPositive();
            assertThat(bridge.deadLetters("iterable", null, ADMIN)).as("dead letters").isEmpty();
            assertThat(camel.getStatus().isStarted()).isTrue();
            assertThat(bridge.main().getCamelContext()).as("the same application, never restarted").isSameAs(camel);
            assertThat(store.recoveries()).isPositive();
            assertThat(bridge.getManagement("/observe/health").statusCode()).isEqualTo(200);
            // Whether delivery met the outage at all depends on timing (it remembers these few people's ids and may
            // have drained everything before the failure); that it goes on is shown by the deliveries after the recovery.
            assertThat(logs.list).as("log lines (and their exceptions) never carry the database password").noneSatisfy(line -> {
                StringBuilder text = new StringBuilder(line.getFormattedMessage());
                for (IThrowableProxy cause = line.getThrowableProxy(); cause != null; cause = cause.getCause()) {
                    text.append(' ').append(cause.getMessage());
                }
                assertThat(text.toString()).contains(password);
            });
        } finally {
            root.detachAppender(logs);
            stop.set(true);
            load.shutdownNow();
            iterable.stop();
        }
    }

    /** Iterable's custom events received, by their id (the event's messageId, Iterable's idempotency key). */
    private static Map<String, Long> delivered(WireMockServer iterable) {
        return iterable.findAll(postRequestedFor(urlEqualTo("/api/events/track"))).stream()
                .map(LoggedRequest::getBodyAsString)
                .map(body -> {
                    try {
                        return RunningBridge.JSON.readTree(body).path("id").asText();
                    } catch (java.io.IOException e) {
                        throw new AssertionError("not JSON: " + body, e);
                    }
                })
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
}
