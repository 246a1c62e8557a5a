package org.segmentbridge.state;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.function.Function;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestHttp;
import org.slf4j.LoggerFactory;

/**
 * Load for the tests where the state database fails under a running bridge: senders post {@code /v1/track} events
 * (each sender its own person) and, like Segment's libraries, send an event answered 503 again with the same
 * messageId until it is taken; a poller records {@code /observe/health} every tenth of a second; the log is captured.
 * Times are milliseconds since the load started.
 */
final class OutageLoad implements AutoCloseable {

    /** One answer of the intake. */
    record Answer(long atMillis, int status, String retryAfter, long tookMillis) {
    }

    /** One health answer (0: none within the timeout). */
    record Health(long atMillis, int status) {
    }

    private final RunningBridge bridge;
    private final String writeKey;
    private final long start = System.currentTimeMillis();
    private final ExecutorService threads;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    private final Queue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    private final Queue<Health> health = new ConcurrentLinkedQueue<>();

    /** Captures the log and starts {@code senders} senders and the health poller. */
    OutageLoad(RunningBridge bridge, String writeKey, int senders) {
        this.bridge = bridge;
        this.writeKey = writeKey;
        logs.start();
        root.addAppender(logs);
        threads = Executors.newFixedThreadPool(senders + 1);
        HttpClient client = TestHttp.client(Duration.ofSeconds(2));
        for (int sender = 0; sender < senders; sender++) {
            String person = "store-load-" + sender;
            threads.submit(() -> send(client, person));
        }
        threads.submit(this::pollHealth);
    }

    private Void send(HttpClient client, String person) {
        while (!stop.get()) {
            String messageId = UUID.randomUUID().toString();
            String body = "{\"userId\":\"" + person + "\",\"event\":\"Load\",\"messageId\":\"" + messageId
                    + "\",\"context\":{\"traits\":{\"email\":\"" + person + "@example.com\"}}}";
            // An event answered 503 is sent again, same messageId, until it is taken (after a tenth of a second
            // here, not the Retry-After's 5 s, to keep the tests short).
            while (!stop.get()) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(bridge.baseUrl() + "/v1/track"))
                        .header("Content-Type", "application/json")
                        .header("Authorization", RunningBridge.basic(writeKey))
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
            // About 50 events a second per sender: a load the fake vendor drains within the tests' waits, now that
            // the intake takes events while the database is down too.
            RunningBridge.sleep(20);
        }
        return null;
    }

    private Void pollHealth() {
        while (!stop.get()) {
            try {
                health.add(new Health(elapsed(), bridge.getManagement("/observe/health").statusCode()));
            } catch (IllegalStateException noAnswer) {
                health.add(new Health(elapsed(), 0));
            }
            RunningBridge.sleep(100);
        }
        return null;
    }

    long elapsed() {
        return System.currentTimeMillis() - start;
    }

    /** Stops sending and polling, and waits for the threads to end. */
    void stopSending() throws InterruptedException {
        stop.set(true);
        threads.shutdown();
        if (!threads.awaitTermination(20, TimeUnit.SECONDS)) {
            throw new AssertionError("the senders did not stop within 20 s");
        }
    }

    Set<String> accepted() {
        return accepted;
    }

    long acceptedSince(long atMillis) {
        return acceptedAt.values().stream().filter(at -> at > atMillis).count();
    }

    long lastAccepted() {
        return acceptedAt.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    List<Answer> refused() {
        return answers.stream().filter(answer -> answer.status() != 200).toList();
    }

    long slowestAnswer() {
        return answers.stream().mapToLong(Answer::tookMillis).max().orElse(0);
    }

    /** When (ms since the load began) the slowest answer's request was sent, for the report. */
    long slowestAnswerSentAt() {
        return answers.stream().max(java.util.Comparator.comparingLong(Answer::tookMillis)).map(answer -> answer.atMillis() - answer.tookMillis()).orElse(0L);
    }

    /** Answers other than 200 and 503, and requests left unanswered. */
    Queue<String> unexpected() {
        return unexpected;
    }

    boolean healthSince(long atMillis, int status) {
        return health.stream().anyMatch(h -> h.atMillis() > atMillis && h.status() == status);
    }

    /** When health first answered {@code status} after {@code atMillis}. */
    long firstHealthSince(long atMillis, int status) {
        return health.stream().filter(h -> h.atMillis() > atMillis && h.status() == status).mapToLong(Health::atMillis)
                .min().orElseThrow(() -> new AssertionError("health never answered " + status + " after " + atMillis + " ms"));
    }

    /** Whether any log line, or any exception it carries, contains {@code text}. */
    boolean logged(String text) {
        return logs.list.stream().anyMatch(line -> {
            StringBuilder all = new StringBuilder(line.getFormattedMessage());
            for (IThrowableProxy cause = line.getThrowableProxy(); cause != null; cause = cause.getCause()) {
                all.append(' ').append(cause.getMessage());
            }
            return all.toString().contains(text);
        });
    }

    @Override
    public void close() {
        root.detachAppender(logs);
        stop.set(true);
        threads.shutdownNow();
    }

    /**
     * A bridge delivering to a fake Iterable with the shipped custom-events route. The vendor is slowish and few
     * events are held per destination: events wait in the queue, so delivery is reading (and its route asking the
     * store about consent) while the store is down.
     */
    static Map<String, String> deliveringToIterable(WireMockServer iterable, String writeKey, String adminToken) {
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson(ITERABLE_OK).withFixedDelay(5)));
        return new java.util.HashMap<>(Map.ofEntries(
                Map.entry("bridge.destinations", "iterable"),
                Map.entry("bridge.write-keys", writeKey),
                Map.entry("bridge.admin-token", adminToken),
                Map.entry("camel.main.routesIncludePattern", "file:routes/iterable/custom-events.yaml"),
                Map.entry("bridge.destination.iterable.base-url", iterable.baseUrl()),
                Map.entry("bridge.destination.iterable.api-key", "iterable-key"),
                Map.entry("bridge.destination.iterable.rate.requests", "2000"),
                Map.entry("bridge.destination.iterable.max-in-flight", "5"),
                Map.entry("bridge.destination.iterable.retry.initial-delay", "200ms")));
    }

    private static final String ITERABLE_OK = "{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}";

    /** Iterable's custom events received, by their id (the event's messageId, Iterable's idempotency key). */
    static Map<String, Long> delivered(WireMockServer iterable) {
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
