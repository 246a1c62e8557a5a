package org.segmentbridge.intake;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.intake.HostileRequests.Contract;
import org.segmentbridge.intake.HostileRequests.Request;
import org.segmentbridge.queue.EmbeddedBroker;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestHttp;

/**
 * Issue 14: overload, hostile input and misconfiguration never wedge the bridge. Ten thousand generated hostile
 * requests (seeded: the seed is printed, and {@code -Dfuzz.seed=N} replays a run) go over real HTTP, eight at a time,
 * to every intake, webhook and admin endpoint of the real application, while raw sockets cut bodies short on the wire
 * and trickle others slowly. Then:
 * <ul>
 *   <li>no answer was a 5xx (not even a 503: nothing here overloads the bridge), and no store failed;</li>
 *   <li>every answer kept its endpoint's contract: a 4xx names its problem in the bridge's JSON, a request the
 *       contract says is valid was taken, one it says is wrong was refused naming the field or limit;</li>
 *   <li>nothing was partially stored: the events on a destination's queue are exactly those of the requests answered
 *       200, and what the intake counted as accepted;</li>
 *   <li>the bridge is healthy and still delivers: a fresh event reaches the (fake) vendor.</li>
 * </ul>
 */
class IntakeFuzzTest {

    private static final int REQUESTS = 10_000;
    private static final int THREADS = 8;
    /** A bound, not a target: the run takes far less; a wedged bridge must fail the test, not hang it. */
    private static final Duration TIME_LIMIT = Duration.ofSeconds(180);
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);
    private static final int TRUNCATED_ON_THE_WIRE = 60;
    private static final int SLOW_BODIES = 4;
    private static final long SEED = Long.getLong("fuzz.seed", new SecureRandom().nextLong());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ENDPOINTS = List.of("tracking-api", "segment-webhook", "sailthru-postback",
            "iterable-webhook", "admin-privacy");

    private static final WireMockServer iterable = new WireMockServer(options().dynamicPort().containerThreads(16));
    private static RunningBridge bridge;
    private static HttpClient http;

    private final Map<String, LongAdder> stored = new ConcurrentHashMap<>();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> serverMade = new ConcurrentHashMap<>();
    private final Semaphore bigBodies = new Semaphore(1);

    @BeforeAll
    static void start() throws IOException {
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        Path routes = TestFolders.create("fuzz-routes-");
        // One cheap route: the probe event, and nothing else, goes on to the fake Iterable. Every other event is still
        // read from Iterable's queue (and found to concern no route), so delivery keeps up with the fuzzing.
        Files.writeString(routes.resolve("fuzz-probe.yaml"), """
                - route:
                    id: fuzz-probe-to-iterable
                    from:
                      uri: events:iterable
                      steps:
                        - filter:
                            simple: "${header.eventType} == 'track' && ${header.eventName} == '%s'"
                            steps:
                              - to: identity:require-key
                              - to: deliver:iterable:event
                """.formatted(HostileRequests.PROBE_EVENT));
        Map<String, String> settings = new HashMap<>(Map.of(
                "bridge.destinations", "emarsys,sailthru,iterable,segment",
                "bridge.write-keys", HostileRequests.WRITE_KEY,
                "bridge.admin-token", HostileRequests.ADMIN_TOKEN,
                "bridge.webhook.segment-secret", HostileRequests.SEGMENT_SECRET,
                "bridge.iterable.webhook-token", HostileRequests.ITERABLE_TOKEN,
                "bridge.destination.sailthru.api-key", HostileRequests.SAILTHRU_KEY,
                "bridge.destination.sailthru.api-secret", HostileRequests.SAILTHRU_SECRET,
                // Sailthru's credentials only verify postbacks here: nothing is ever sent to Sailthru.
                "bridge.destination.sailthru.enabled", "false",
                "camel.main.routesIncludePattern", "file:" + routes.toAbsolutePath() + "/*.yaml"));
        settings.putAll(Map.of(
                "bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", "fuzz-iterable-key",
                "bridge.destination.iterable.batch.flush", "200ms",
                "bridge.destination.iterable.retry.initial-delay", "200ms"));
        bridge = RunningBridge.start(settings);
        http = TestHttp.client(Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        if (bridge != null) {
            bridge.close();
        }
        iterable.stop();
    }

    @Test
    void hostileRequestsNeitherWedgeNorPartlyStoreAnything() throws Exception {
        System.out.println("IntakeFuzzTest seed " + SEED + " (replay with -Dfuzz.seed=" + SEED + ")");
        Files.deleteIfExists(Path.of("target", "intake-fuzz-failures.txt"));
        assertDelivers("before the fuzzing");
        long started = System.nanoTime();

        ExecutorService wire = Executors.newFixedThreadPool(3);
        List<Future<?>> onTheWire = new ArrayList<>();
        onTheWire.add(wire.submit(this::truncateBodiesOnTheWire));
        for (int i = 0; i < SLOW_BODIES; i++) {
            int n = i;
            onTheWire.add(wire.submit(() -> slowBody(n)));
        }
        int sent = fuzz(new HostileRequests(SEED));
        for (Future<?> task : onTheWire) {
            task.get(60, TimeUnit.SECONDS);
        }
        wire.shutdown();
        long elapsed = Duration.ofNanos(System.nanoTime() - started).toMillis();
        System.out.printf("IntakeFuzzTest: %d requests (plus %d cut short and %d slow on the wire) in %.1f s%n",
                sent, TRUNCATED_ON_THE_WIRE, SLOW_BODIES, elapsed / 1000.0);
        System.out.println("IntakeFuzzTest answers: " + new TreeMap<>(counts(answers)));
        System.out.println("IntakeFuzzTest answers made by Vert.x itself (not JSON): " + new TreeMap<>(counts(serverMade)));

        if (!failures.isEmpty()) {
            Path report = Path.of("target", "intake-fuzz-failures.txt");
            Files.writeString(report, "seed " + SEED + "\n" + String.join("\n", failures) + "\n");
            System.out.println("IntakeFuzzTest: every failure is listed in " + report.toAbsolutePath());
        }
        assertThat(failures).as("seed %d: %d of %d requests broke the contract, e.g.%n%s", SEED, failures.size(), sent,
                String.join("\n", failures.subList(0, Math.min(40, failures.size())))).isEmpty();
        assertThat(sent).as("requests sent within %s", TIME_LIMIT).isEqualTo(REQUESTS);
        assertThat(bridge.metric("bridge_intake_requests_store_failed_total", Map.of()))
                .as("requests the store failed").isZero();
        assertNothingPartlyStored();
        assertThat(bridge.getManagement("/observe/health").statusCode()).as("health after the fuzzing").isEqualTo(200);
        assertDelivers("after the fuzzing");
    }

    // ---- the fuzzing ------------------------------------------------------------------------------------------

    private int fuzz(HostileRequests requests) throws Exception {
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + TIME_LIMIT.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            workers.add(pool.submit(() -> {
                int done = 0;
                for (int index = next.getAndIncrement(); index < REQUESTS && System.nanoTime() < deadline; index = next.getAndIncrement()) {
                    Request request = requests.request(index);
                    boolean big = request.size() > HostileRequests.BIG_BODY;
                    if (big) {
                        bigBodies.acquire();
                    }
                    try {
                        send(request);
                    } catch (RuntimeException e) {
                        failures.add(request + ": the test could not send it: " + e);
                    } finally {
                        if (big) {
                            bigBodies.release();
                        }
                    }
                    done++;
                }
                return done;
            }));
        }
        int sent = 0;
        for (Future<Integer> worker : workers) {
            sent += worker.get();
        }
        pool.shutdown();
        return sent;
    }

    private void send(Request request) {
        Answer answer;
        try {
            if (request.raw != null) {
                answer = sendRaw(request.raw);
            } else {
                try {
                    answer = sendHttp(request);
                } catch (IOException closed) {
                    if (request.mayDropConnection || !String.valueOf(closed.getMessage()).contains("received no bytes")) {
                        throw closed;
                    }
                    // A kept-alive connection the server had closed (as Vert.x does after refusing a body it would
                    // not read): sent again on a fresh one, as any client would.
                    count(answers, "sent again on a new connection");
                    answer = sendHttp(request);
                }
            }
        } catch (HttpTimeoutException | SocketTimeoutException e) {
            if (request.mayDropConnection && request.raw != null) {
                count(answers, "dropped");
                return;
            }
            failures.add(request + ": no answer within " + ANSWER_WITHIN.toSeconds() + " s");
            return;
        } catch (IOException e) {
            if (request.mayDropConnection) {
                count(answers, "dropped");
                return;
            }
            failures.add(request + ": no answer: " + e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        count(answers, endpointOf(request) + " " + answer.status);
        String problem = problem(request, answer);
        if (problem != null) {
            failures.add(request + ": " + problem + "\n      answer " + answer.status + " " + answer.headers.getOrDefault("content-type", "")
                    + " " + HostileRequests.abbreviate(answer.text(), 300));
        }
        if (answer.status == 200 && request.storedVia != null) {
            count(stored, request.storedVia, request.events);
        }
    }

    /** Why an answer breaks the contract, or null. */
    private String problem(Request request, Answer answer) {
        int status = answer.status;
        if (status >= 500) {
            return status == 503 && answer.headers.containsKey("retry-after")
                    ? "503 with Retry-After, but nothing here overloads the bridge"
                    : "a " + status + " answer";
        }
        if (status < 200 || (status >= 300 && status < 400)) {
            return "an answer of " + status;
        }
        JsonNode json = answer.json();
        if (json == null || !json.isObject()) {
            if (request.serverAnswers.contains(status)) {
                count(serverMade, status + " " + endpointOf(request));
                return null;
            }
            return "not the bridge's JSON";
        }
        if (request.expected != null && status != request.expected) {
            return "expected " + request.expected + (request.mentions == null ? "" : " naming '" + request.mentions + "'");
        }
        boolean intake = request.contract == Contract.INTAKE
                || (request.contract == Contract.EITHER && json.has("success"));
        if (status == 200 && intake && !"{\"success\":true}".equals(json.toString())) {
            return "a 200 other than {\"success\":true}";
        }
        if (status >= 400) {
            if (intake && !(json.path("success").isBoolean() && !json.path("success").booleanValue())) {
                return "a " + status + " without \"success\":false";
            }
            String error = json.path("error").asText("");
            if (!json.path("error").isTextual() || error.isBlank()) {
                return "a " + status + " without an error message";
            }
            if (request.mentions != null) {
                String said = (error + " " + json.path("field").asText("")).toLowerCase(Locale.ROOT);
                if (!said.contains(request.mentions.toLowerCase(Locale.ROOT))) {
                    return "the error does not name '" + request.mentions + "'";
                }
            }
            if (request.errorIndex != null && json.path("index").asInt(-1) != request.errorIndex) {
                return "the error does not name index " + request.errorIndex;
            }
        }
        return null;
    }

    private static String endpointOf(Request request) {
        String path = request.path.replaceAll("\\?.*", "");
        if (path.startsWith("/v1/")) {
            return path.matches("/v1/(batch|import)/?") ? "/v1/batch" : path.matches("/v1/[a-z]+/?") ? "/v1/call" : "/v1/other";
        }
        if (path.startsWith("/admin/privacy")) {
            return "/admin/privacy";
        }
        if (path.startsWith("/admin/")) {
            return "/admin";
        }
        return path.matches("/webhooks/(segment|sailthru|iterable)") ? path : "other";
    }

    // ---- transports -------------------------------------------------------------------------------------------

    private record Answer(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return body.length == 0 ? null : JSON.readTree(body);
            } catch (IOException notJson) {
                return null;
            }
        }
    }

    private Answer sendHttp(Request request) throws IOException, InterruptedException {
        boolean bodiless = request.body.length == 0 && List.of("GET", "HEAD", "OPTIONS", "DELETE").contains(request.method);
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(bridge.baseUrl() + request.path))
                .timeout(ANSWER_WITHIN)
                .method(request.method, bodiless ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body));
        for (int i = 0; i < request.headers.size(); i += 2) {
            builder.header(request.headers.get(i), request.headers.get(i + 1));
        }
        HttpResponse<byte[]> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> headers = new HashMap<>();
        response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
        return new Answer(response.statusCode(), headers, response.body());
    }

    /** Writes the request as it is and reads the answer until the server closes (every raw request says Connection: close). */
    private Answer sendRaw(byte[] raw) throws IOException {
        try (Socket socket = new Socket("localhost", port())) {
            socket.setSoTimeout((int) ANSWER_WITHIN.toMillis());
            socket.getOutputStream().write(raw);
            socket.getOutputStream().flush();
            return readAnswer(socket.getInputStream());
        }
    }

    private static int port() {
        return URI.create(bridge.baseUrl()).getPort();
    }

    /** One HTTP/1.x answer (after any 1xx), its body de-chunked. */
    private static Answer readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            in.transferTo(all);
        } catch (IOException reset) {
            // what arrived before the server closed is the answer
        }
        byte[] bytes = all.toByteArray();
        int at = 0;
        while (true) {
            int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
            if (end < 0) {
                throw new IOException("no answer (" + bytes.length + " bytes before the connection closed)");
            }
            String[] head = new String(bytes, at, end - at, StandardCharsets.ISO_8859_1).split("\r\n");
            int status = Integer.parseInt(head[0].split(" ")[1]);
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < head.length; i++) {
                int colon = head[i].indexOf(':');
                if (colon > 0) {
                    headers.put(head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), head[i].substring(colon + 1).trim());
                }
            }
            at = end + 4;
            if (status < 200) {
                continue;
            }
            byte[] body;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream dechunked = new ByteArrayOutputStream();
                while (true) {
                    int line = indexOf(bytes, "\r\n".getBytes(StandardCharsets.ISO_8859_1), at);
                    int size = line < 0 ? 0 : Integer.parseInt(new String(bytes, at, line - at, StandardCharsets.ISO_8859_1).trim(), 16);
                    if (size == 0) {
                        break;
                    }
                    dechunked.write(bytes, line + 2, size);
                    at = line + 2 + size + 2;
                }
                body = dechunked.toByteArray();
            } else if (headers.containsKey("content-length")) {
                body = java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + Integer.parseInt(headers.get("content-length"))));
            } else {
                body = java.util.Arrays.copyOfRange(bytes, at, bytes.length);
            }
            return new Answer(status, headers, body);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ---- on the wire ------------------------------------------------------------------------------------------

    /**
     * Bodies cut short on the wire: a Content-Length larger than what is written, then the connection closes (also
     * mid-headers). The bridge must store nothing of them, and keep answering everyone else.
     */
    private void truncateBodiesOnTheWire() {
        Random random = new Random(SEED ^ 0x5DEECE66DL);
        List<String> paths = List.of("/v1/track", "/v1/batch", "/webhooks/segment", "/webhooks/iterable", "/webhooks/sailthru",
                "/admin/privacy/delete");
        for (int i = 0; i < TRUNCATED_ON_THE_WIRE; i++) {
            String path = paths.get(random.nextInt(paths.size()));
            String messageId = "cut-" + SEED + "-" + i;
            String body = path.equals("/v1/batch")
                    ? "{\"batch\":[{\"type\":\"track\",\"userId\":\"cut-" + i + "\",\"event\":\"Cut\",\"messageId\":\"" + messageId + "\"}]}"
                    : path.equals("/webhooks/sailthru") ? "action=optout&email=cut" + i + "%40example.com&optout=1&api_key=" + HostileRequests.SAILTHRU_KEY
                    : "{\"type\":\"track\",\"userId\":\"cut-" + i + "\",\"event\":\"Cut\",\"messageId\":\"" + messageId
                    + "\",\"email\":\"cut" + i + "@example.com\",\"eventName\":\"emailOpen\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: " + (path.startsWith("/admin") ? "Bearer " + HostileRequests.ADMIN_TOKEN
                    : path.contains("iterable") ? "Bearer " + HostileRequests.ITERABLE_TOKEN : RunningBridge.basic(HostileRequests.WRITE_KEY))
                    + "\r\nContent-Type: " + (path.contains("sailthru") ? "application/x-www-form-urlencoded" : "application/json")
                    + "\r\nContent-Length: " + (bytes.length + 1 + random.nextInt(10_000)) + "\r\n\r\n";
            byte[] whole = concat(head.getBytes(StandardCharsets.ISO_8859_1), bytes);
            int cut = random.nextInt(4) == 0 ? random.nextInt(head.length()) : head.length() + random.nextInt(bytes.length + 1);
            try (Socket socket = new Socket("localhost", port())) {
                OutputStream out = socket.getOutputStream();
                out.write(whole, 0, cut);
                out.flush();
                if (random.nextBoolean()) {
                    RunningBridge.sleep(random.nextInt(50));
                }
            } catch (IOException e) {
                failures.add("cut short on the wire #" + i + ": could not even connect and write: " + e);
            }
        }
    }

    /** A valid event trickled over about two seconds: slow is not hostile, and gets its normal answer. */
    private void slowBody(int n) {
        String messageId = "slow-" + SEED + "-" + n;
        byte[] body = ("{\"userId\":\"slow-" + n + "-" + SEED + "\",\"event\":\"Slow\",\"messageId\":\"" + messageId
                + "\",\"properties\":{\"note\":\"" + "s".repeat(200) + "\"}}").getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + RunningBridge.basic(HostileRequests.WRITE_KEY)
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        try (Socket socket = new Socket("localhost", port())) {
            socket.setSoTimeout((int) ANSWER_WITHIN.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            int pieces = 10;
            for (int i = 0; i < pieces; i++) {
                out.write(body, i * body.length / pieces, (i + 1) * body.length / pieces - i * body.length / pieces);
                out.flush();
                RunningBridge.sleep(200);
            }
            Answer answer = readAnswer(socket.getInputStream());
            if (answer.status != 200 || !"{\"success\":true}".equals(answer.text())) {
                failures.add("slow body #" + n + ": answered " + answer.status + " " + answer.text());
            } else {
                count(stored, HostileRequests.TRACKING, 1);
            }
        } catch (IOException e) {
            failures.add("slow body #" + n + ": no answer: " + e);
        }
    }

    // ---- afterwards -------------------------------------------------------------------------------------------

    /**
     * The events on the destinations' queues are exactly those the intake answered 200 for, less those the processor
     * dropped and counted (a duplicate, a consent report that changes nothing): per request for the Segment endpoints
     * (counted here as they were answered), and as the intake counted them for the webhooks that turn a report into
     * several events or none and for the operator endpoints.
     */
    private void assertNothingPartlyStored() {
        Map<String, Double> accepted = new TreeMap<>();
        Map<String, Double> dropped = new TreeMap<>();
        for (String endpoint : ENDPOINTS) {
            accepted.put(endpoint, bridge.metric("bridge_intake_events_accepted_total", Map.of("endpoint", endpoint)));
            dropped.put(endpoint, bridge.metric("bridge_processor_events_dropped_total", Map.of("endpoint", endpoint)));
        }
        System.out.println("IntakeFuzzTest events dropped by the processor per endpoint: " + dropped);
        System.out.println("IntakeFuzzTest events accepted per endpoint: " + accepted + "; answered 200 here: " + counts(stored));
        long tracking = counts(stored).getOrDefault(HostileRequests.TRACKING, 0L);
        long webhook = counts(stored).getOrDefault(HostileRequests.SEGMENT_WEBHOOK, 0L);
        assertThat(accepted.get("tracking-api")).as("events the intake accepted on /v1/*").isEqualTo((double) tracking);
        assertThat(accepted.get("segment-webhook")).as("events the intake accepted on /webhooks/segment").isEqualTo((double) webhook);

        // Emarsys has no route here: its queue keeps every event stored for all destinations. Segment has none either,
        // and every stored event reaches it (a platform's engagement goes there alone).
        Map<String, Long> onEmarsys = drain("emarsys");
        Map<String, Long> onSegment = drain("segment");
        System.out.println("IntakeFuzzTest queued by origin: emarsys " + onEmarsys + ", segment " + onSegment);
        assertThat((double) onEmarsys.getOrDefault("tracking-api", 0L)).as("events from /v1/* on Emarsys' queue")
                .isEqualTo(tracking - dropped.get("tracking-api"));
        assertThat((double) onEmarsys.getOrDefault("segment-webhook", 0L)).as("events from /webhooks/segment on Emarsys' queue")
                .isEqualTo(webhook - dropped.get("segment-webhook"));
        for (String endpoint : ENDPOINTS) {
            assertThat((double) onSegment.getOrDefault(endpoint, 0L)).as("events from %s on Segment's queue", endpoint)
                    .isEqualTo(accepted.get(endpoint) - dropped.get(endpoint));
        }
    }

    /**
     * Everything on a destination's queue that no route reads, counted by where it came from. Consumed rather than
     * browsed: a browser does not see what the broker paged to disk, and the backlog here is large enough to page.
     */
    private static Map<String, Long> drain(String destination) {
        EmbeddedBroker broker = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("eventBroker", EmbeddedBroker.class);
        long depth = broker.depth(destination);
        Map<String, Long> byOrigin = new TreeMap<>();
        long drained = 0;
        try (JMSContext context = broker.connectionFactory().createContext(JMSContext.AUTO_ACKNOWLEDGE);
             JMSConsumer consumer = context.createConsumer(context.createQueue(EmbeddedBroker.subscription(destination)))) {
            for (Message message = consumer.receive(5_000); message != null; message = consumer.receive(2_000)) {
                long events = EmbeddedBroker.eventsOf(message).size();
                byOrigin.merge(String.valueOf(message.getStringProperty(EventQueue.RECEIVED_VIA_PROPERTY)), events, Long::sum);
                drained += events;
            }
        } catch (JMSException e) {
            throw new IllegalStateException("could not read " + destination + "'s queue", e);
        }
        assertThat(drained).as("events read from %s's queue against its depth", destination).isEqualTo(depth);
        return byOrigin;
    }

    /** A fresh valid event goes through the intake and reaches the fake vendor. */
    private void assertDelivers(String when) {
        String messageId = "probe-" + UUID.randomUUID();
        HttpResponse<String> response = bridge.postTracking("/v1/track", HostileRequests.WRITE_KEY,
                HostileRequests.probeEvent(messageId, messageId + "@example.com"));
        assertThat(response.statusCode()).as("the probe %s: %s", when, response.body()).isEqualTo(200);
        count(stored, HostileRequests.TRACKING, 1);
        await(when).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() ->
                iterable.findAll(postRequestedFor(urlEqualTo("/api/events/track"))).stream()
                        .anyMatch(request -> request.getBodyAsString().contains(messageId)));
    }

    private static void count(Map<String, LongAdder> counters, String key) {
        count(counters, key, 1);
    }

    private static void count(Map<String, LongAdder> counters, String key, long n) {
        counters.computeIfAbsent(key, any -> new LongAdder()).add(n);
    }

    private static Map<String, Long> counts(Map<String, LongAdder> counters) {
        Map<String, Long> values = new TreeMap<>();
        counters.forEach((key, value) -> values.put(key, value.sum()));
        return values;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }
}
