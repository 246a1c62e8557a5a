package org.segmentbridge.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.QueueBrowser;
import org.apache.camel.main.Main;
import org.segmentbridge.Bridge;
import org.segmentbridge.queue.EmbeddedBroker;

/**
 * The real application (Camel context, routes from routes/, broker, state store) started in this JVM on free ports
 * with its own data folder (and its own state database, see {@link TestStateDatabase}), plus HTTP and queue helpers
 * for tests.
 */
public final class RunningBridge implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORTS_PER_JVM = 4000;
    /** Surefire numbers its JVMs from 1 ({@code bridge.test.jvm} in pom.xml); a JVM started otherwise takes the first block. */
    private static final int FIRST_PORT = 20000 + (Integer.getInteger("bridge.test.jvm", 1) - 1) * PORTS_PER_JVM;
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(ThreadLocalRandom.current().nextInt(PORTS_PER_JVM));
    private static final HttpClient HTTP = TestHttp.client(Duration.ofSeconds(5));

    private final Path dataDir;
    private final Map<String, String> settings;
    private final Map<String, Object> beans;
    private final int httpPort;
    private final int managementPort;
    private Main main;

    private RunningBridge(Path dataDir, Map<String, String> settings, Map<String, Object> beans) {
        this.dataDir = dataDir;
        this.beans = beans;
        this.httpPort = port(settings, "camel.server.port");
        this.managementPort = port(settings, "camel.management.port");
        Map<String, String> all = new HashMap<>(settings);
        all.put("camel.server.port", Integer.toString(httpPort));
        all.put("camel.management.port", Integer.toString(managementPort));
        all.put("bridge.data-dir", dataDir.toString());
        // With -Dbridge.test.state=postgresql every bridge keeps its state in PostgreSQL, one database per data folder.
        TestStateDatabase.settingsFor(dataDir).forEach(all::putIfAbsent);
        TestEventLog.settingsFor(dataDir).forEach(all::putIfAbsent);
        all.putIfAbsent("bridge.write-keys", "");
        all.putIfAbsent("bridge.webhook.segment-secret", "");
        // The shipped routes would consume the destinations' queues that intake tests inspect: tests that want
        // routes name them.
        all.putIfAbsent("camel.main.routesIncludePattern", "file:" + emptyFolder() + "/*.yaml");
        this.settings = all;
    }

    /** Starts a bridge; {@code settings} override application.properties (unset secrets stay unset). */
    public static RunningBridge start(Map<String, String> settings) {
        try {
            return start(TestFolders.create("bridge-test-"), settings);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RunningBridge start(Path dataDir, Map<String, String> settings) {
        return start(dataDir, settings, Map.of());
    }

    /** {@code beans} are bound in the registry by name, e.g. a test connector under its destination's name. */
    public static RunningBridge start(Path dataDir, Map<String, String> settings, Map<String, Object> beans) {
        RunningBridge bridge = new RunningBridge(dataDir, settings, beans);
        bridge.startMain();
        return bridge;
    }

    private void startMain() {
        main = Bridge.newMain(settings);
        beans.forEach(main::bind);
        try {
            main.start();
        } catch (Exception e) {
            // What did start (the broker, the ports) must not outlive a test that expects the start to fail.
            try {
                stopMain();
            } catch (RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed);
            }
            throw new IllegalStateException("bridge did not start", e);
        }
        awaitHealthy();
    }

    /** Stops the application cleanly and starts it again on the same data folder and ports. */
    public void restart() {
        stopMain();
        startMain();
    }

    public Path dataDir() {
        return dataDir;
    }

    public String baseUrl() {
        return "http://localhost:" + httpPort;
    }

    public String managementUrl() {
        return "http://localhost:" + managementPort;
    }

    public Main main() {
        return main;
    }

    // ---- HTTP ---------------------------------------------------------------------------------------------------

    public HttpResponse<String> post(String path, String body, String... headers) {
        return postBytes(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** POST of exact bytes, for bodies that are not valid UTF-8 text. */
    public HttpResponse<String> postBytes(String path, byte[] body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    /** POST with {@code Content-Type: application/json} and Basic auth for {@code writeKey} (none when null). */
    public HttpResponse<String> postTracking(String path, String writeKey, String body) {
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json"));
        if (writeKey != null) {
            headers.add("Authorization");
            headers.add(basic(writeKey));
        }
        return post(path, body, headers.toArray(String[]::new));
    }

    public static String basic(String writeKey) {
        return "Basic " + Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
    }

    public HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    public HttpResponse<String> send(String method, String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request.build());
    }

    public HttpResponse<String> getManagement(String path) {
        return send(HttpRequest.newBuilder(URI.create(managementUrl() + path)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("HTTP request failed: " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("response is not JSON: " + response.body(), e);
        }
    }

    /** Value of one Prometheus sample line (name with labels, exactly as printed), or 0 when absent. */
    public double metric(String sample) {
        awaitProcessed();
        String text = getManagement("/observe/metrics").body();
        return text.lines().filter(line -> line.startsWith(sample + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(sample.length() + 1).trim()))
                .findFirst().orElse(0);
    }

    /** Value of a Prometheus sample by name and labels, in any label order; 0 when absent. */
    public double metric(String name, Map<String, String> labels) {
        awaitProcessed();
        String text = getManagement("/observe/metrics").body();
        return text.lines().filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> labels.entrySet().stream().allMatch(label ->
                        line.contains(label.getKey() + "=\"" + label.getValue() + "\"")))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim()))
                .sum();
    }

    // ---- Queue --------------------------------------------------------------------------------------------------

    /** One event as it waits in a destination's durable subscription, with the properties of the message carrying it. */
    public record QueuedEvent(JsonNode body, Map<String, String> properties) {
    }

    /**
     * Waits (up to 10 s) until the processor has taken everything the intake appended, so that what a test reads
     * next (queues, metrics, dead letters) includes it: the intake log is empty, and the processor has taken at least
     * as many events as were appended since the start (the log's count alone can read 0 for a moment while the broker
     * routes a message just committed). Returns without failing when it has not: a test that stops the processor on
     * purpose reads what there is.
     */
    public void awaitProcessed() {
        var registry = main.getCamelContext().getRegistry();
        org.segmentbridge.queue.EventLogs broker = registry.lookupByNameAndType("eventBroker", org.segmentbridge.queue.EventLogs.class);
        org.segmentbridge.processor.Processor processor = registry.lookupByNameAndType("processor", org.segmentbridge.processor.Processor.class);
        org.segmentbridge.queue.IntakeLog log = registry.lookupByNameAndType("intakeLog", org.segmentbridge.queue.IntakeLog.class);
        if (broker == null || processor == null || log == null || !processor.isStarted()) {
            return;
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while ((broker.intakeLogDepth() > 0 || processor.processedEvents() < log.appendedEvents()) && System.nanoTime() < deadline) {
            sleep(5);
        }
    }

    /** Everything waiting in one destination's subscription, oldest first, without consuming it (once processed). */
    public List<QueuedEvent> queued(String destination) {
        awaitProcessed();
        EmbeddedBroker broker = main.getCamelContext().getRegistry().lookupByNameAndType("eventBroker", EmbeddedBroker.class);
        List<QueuedEvent> events = new ArrayList<>();
        try (JMSContext context = broker.connectionFactory().createContext();
             QueueBrowser browser = context.createBrowser(context.createQueue(EmbeddedBroker.subscription(destination)))) {
            // Each message is read as the browser reaches it: a large message's body is gone once it moves on.
            for (java.util.Enumeration<Message> messages = browser.getEnumeration(); messages.hasMoreElements(); ) {
                Message message = messages.nextElement();
                Map<String, String> properties = new HashMap<>();
                for (Object name : Collections.list(message.getPropertyNames())) {
                    properties.put((String) name, message.getStringProperty((String) name));
                }
                for (String event : EmbeddedBroker.eventsOf(message)) {
                    events.add(new QueuedEvent(JSON.readTree(event), properties));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not browse " + destination, e);
        }
        return events;
    }

    /** The queued events of one destination whose body field {@code field} equals {@code value}. */
    public List<JsonNode> queuedWhere(String destination, String field, String value) {
        return queued(destination).stream().map(QueuedEvent::body)
                .filter(body -> value.equals(body.path(field).asText(null))).toList();
    }

    /** The queued events of one destination that concern this email ({@code context.traits.email}), oldest first. */
    public List<QueuedEvent> queuedWithEmail(String destination, String email) {
        return queued(destination).stream()
                .filter(event -> email.equals(event.body().path("context").path("traits").path("email").asText(null)))
                .toList();
    }

    /** Dead letters of a destination for one messageId (null: all of them), as the admin endpoint lists them. */
    public List<JsonNode> deadLetters(String destination, String messageId, String adminToken) {
        awaitProcessed();
        List<JsonNode> matching = new ArrayList<>();
        json(get("/admin/dead-letters?destination=" + destination + "&limit=1000", "Authorization", "Bearer " + adminToken))
                .path("deadLetters").forEach(letter -> {
                    if (messageId == null || messageId.equals(letter.path("messageId").asText())) {
                        matching.add(letter);
                    }
                });
        return matching;
    }

    // ---- Lifecycle ----------------------------------------------------------------------------------------------

    private void awaitHealthy() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (getManagement("/observe/health").statusCode() == 200) {
                    return;
                }
            } catch (IllegalStateException notYetListening) {
                // retry until the deadline
            }
            sleep(100);
        }
        throw new IllegalStateException("bridge did not become healthy within 30 s");
    }

    private void stopMain() {
        if (main != null) {
            try {
                main.stop();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            main = null;
        }
    }

    @Override
    public void close() {
        stopMain();
    }

    /** The port a test named, e.g. one it holds itself, or a free one. */
    private static int port(Map<String, String> settings, String setting) {
        String named = settings.get(setting);
        return named == null ? freePort() : Integer.parseInt(named);
    }

    private static String emptyFolder() {
        try {
            return TestFolders.create("bridge-no-routes-").toAbsolutePath().toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A port no process listens on, for a test server. Test JVMs run two at once ({@code forkCount}); a port found free
     * by asking the system for any was sometimes taken by the other JVM's bridge before this one listened on it. So
     * each JVM takes its ports in turn from a block of its own, below the system's ephemeral ports (which WireMock,
     * connections and the other JVM's system-chosen ports come from), and skips those in use. It starts at a random
     * place in its block, so that the tests of another build on the same machine seldom walk the same ports at once.
     */
    public static int freePort() {
        for (int tried = 0; tried < PORTS_PER_JVM; tried++) {
            int port = FIRST_PORT + Math.floorMod(NEXT_PORT.getAndIncrement(), PORTS_PER_JVM);
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(port));
                return port;
            } catch (IOException inUse) {
                // the next one
            }
        }
        throw new IllegalStateException("no free port from " + FIRST_PORT + " to " + (FIRST_PORT + PORTS_PER_JVM - 1));
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One line of an HTTP/1.1 message read from a raw socket, without its CR LF. */
    public static String httpLine(java.io.InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
