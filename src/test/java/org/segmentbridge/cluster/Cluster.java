package org.segmentbridge.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.KafkaBroker;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestEventLog;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestHttp;

/**
 * Several bridge processes in cluster mode, as an operator runs them: one real Kafka broker (its own process), one
 * real PostgreSQL database, each bridge with its own ports and data folder, all delivering to one fake Iterable.
 */
final class Cluster implements AutoCloseable {

    static final String WRITE_KEY = "cluster-key";
    static final String ADMIN_TOKEN = "cluster-admin-token";

    private final HttpClient client = TestHttp.client(Duration.ofSeconds(2));
    private final Map<String, String> environment = new HashMap<>();
    private final List<Member> members = new ArrayList<>();

    private record Member(Path dataDir, int httpPort, int managementPort, BridgeProcess[] process) {
    }

    /**
     * @param systemProperties settings for every bridge, as -D options (those without an environment variable)
     */
    Cluster(KafkaBroker kafka, PostgresServer postgres, int bridges, String iterableUrl, String routes, String... systemProperties)
            throws IOException {
        String database = postgres.createDatabase("cluster_" + System.nanoTime());
        environment.putAll(postgres.environment(database));
        environment.putAll(TestEventLog.clusterEnvironment(kafka, TestEventLog.newTopicPrefix()));
        environment.put("BRIDGE_WRITE_KEYS", WRITE_KEY);
        environment.put("BRIDGE_ADMIN_TOKEN", ADMIN_TOKEN);
        environment.put("BRIDGE_DESTINATIONS", "iterable");
        environment.put("ITERABLE_API_URL", iterableUrl);
        environment.put("ITERABLE_API_KEY", "iterable-cluster-key");
        environment.put("CAMEL_MAIN_ROUTESINCLUDEPATTERN", routes);
        if (systemProperties.length > 0) {
            environment.put("JAVA_TOOL_OPTIONS", String.join(" ", systemProperties));
        }
        for (int index = 0; index < bridges; index++) {
            members.add(new Member(TestFolders.create("bridge-cluster-" + index + "-"), RunningBridge.freePort(),
                    RunningBridge.freePort(), new BridgeProcess[1]));
        }
        // Started together: each takes seconds to boot, and they join the consumer groups as they come.
        ExecutorService starting = Executors.newFixedThreadPool(bridges);
        try {
            List<Future<?>> started = new ArrayList<>();
            for (int index = 0; index < bridges; index++) {
                int member = index;
                started.add(starting.submit(() -> {
                    start(member);
                    return null;
                }));
            }
            for (Future<?> each : started) {
                each.get();
            }
        } catch (Exception e) {
            close();
            throw new IllegalStateException("the cluster did not start: " + e.getMessage(), e);
        } finally {
            starting.shutdown();
        }
    }

    int size() {
        return members.size();
    }

    /** Starts (or starts again) one bridge and waits until it is healthy. */
    void start(int member) throws IOException {
        Member each = members.get(member);
        Map<String, String> own = new HashMap<>(environment);
        own.put("BRIDGE_HTTP_PORT", Integer.toString(each.httpPort()));
        own.put("BRIDGE_MANAGEMENT_PORT", Integer.toString(each.managementPort()));
        own.put("BRIDGE_DATA_DIR", each.dataDir().toString());
        each.process()[0] = BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(), Path.of("").toAbsolutePath(), own,
                each.managementPort());
        each.process()[0].awaitHealthy(Duration.ofSeconds(90));
    }

    /** SIGKILL of one bridge: no shutdown, no flush, no leaving its groups. */
    void kill(int member) throws InterruptedException {
        members.get(member).process()[0].kill();
    }

    /** The bridge's answer, or empty when it gave none (it is down). */
    Optional<HttpResponse<String>> post(int member, String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + members.get(member).httpPort() + path))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int index = 0; index + 1 < headers.length; index += 2) {
            request.header(headers[index], headers[index + 1]);
        }
        try {
            return Optional.of(client.send(request.build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException noAnswer) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An admin GET to one bridge. */
    HttpResponse<String> adminGet(int member, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + members.get(member).httpPort() + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).timeout(Duration.ofSeconds(15)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Segment's batch call to one bridge. */
    Optional<HttpResponse<String>> batch(int member, String batchJson) {
        return post(member, "/v1/batch", batchJson, "Authorization", RunningBridge.basic(WRITE_KEY));
    }

    Optional<HttpResponse<String>> admin(int member, String path, String body) {
        return post(member, path, body, "Authorization", "Bearer " + ADMIN_TOKEN);
    }

    /** The sum of a metric's samples on one bridge whose labels contain {@code labels}. */
    double metric(int member, String name, String labels) throws IOException, InterruptedException {
        String text = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + members.get(member).managementPort()
                + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(line -> (line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(labels))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim())).sum();
    }

    String output(int member) {
        return members.get(member).process()[0].output();
    }

    @Override
    public void close() {
        for (Member each : members) {
            try {
                if (each.process()[0] != null) {
                    each.process()[0].close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
