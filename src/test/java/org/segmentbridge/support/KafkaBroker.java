package org.segmentbridge.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * A real, throwaway Kafka broker for tests: one KRaft node (broker and controller in one process) of
 * {@code kafka_2.13} in a JVM of its own, on two free ports of 127.0.0.1 (clients, controller), with a fresh log
 * folder in a temporary folder, removed when closed (or when the JVM ends). No Docker engine runs on these machines
 * and no mock may stand in for the server.
 *
 * <p>Its own process, because the broker's jars (Scala, Kafka's server modules, their Jackson and SLF4J) must not join
 * the test class path: the build copies them into {@code target/kafka-broker/libs} before the tests (the main pom's
 * {@code kafka-broker-libs} execution, {@code src/test/kafka-broker}), at the version of the bridge's kafka-clients.
 * It also lets a test {@link #kill()} the broker the way a crash would and {@link #restart()} it on the same ports
 * and log folder, with its data.
 *
 * <p>The broker's output goes to {@code broker.log} in its folder ({@link #log()}); a start that fails throws with
 * its tail.
 */
public final class KafkaBroker implements AutoCloseable {

    /** A folder of broker jars other than {@link #DEFAULT_LIBS}. */
    public static final String LIBS_PROPERTY = "kafka.broker.libs";
    /** Relative to the project folder, where the tests run; filled by {@link #FILL_COMMAND}. */
    public static final String DEFAULT_LIBS = "target/kafka-broker/libs";
    /** Fills {@link #DEFAULT_LIBS}; mvn test and mvn verify run it before the tests. */
    public static final String FILL_COMMAND = "mvn -B -q exec:exec@kafka-broker-libs";

    private static final String BROKER_HEAP = "-Xmx384m";
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 80;

    private static KafkaBroker shared;

    private final Path libs;
    private final Path folder;
    private final Path logFile;
    private final int port;
    private final int controllerPort;
    private final Thread removalHook;
    private Process process;
    private boolean removed;

    private KafkaBroker(Path libs, Path folder, int port, int controllerPort) {
        this.libs = libs;
        this.folder = folder;
        this.logFile = folder.resolve("broker.log");
        this.port = port;
        this.controllerPort = controllerPort;
        this.removalHook = new Thread(this::close, "kafka-test-broker-removal");
    }

    /** A new broker with an empty log folder, started and answering. */
    public static KafkaBroker start() {
        Path libs = libs();
        Path folder;
        try {
            folder = Files.createTempDirectory("bridge-kafka-");
        } catch (IOException e) {
            throw new IllegalStateException("could not create a folder for a Kafka test broker", e);
        }
        KafkaBroker broker = new KafkaBroker(libs, folder, RunningBridge.freePort(), RunningBridge.freePort());
        Runtime.getRuntime().addShutdownHook(broker.removalHook);
        try {
            broker.writeSettings();
            broker.formatStorage();
            broker.launch();
            return broker;
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /**
     * One broker for the whole JVM, started on first use, removed when the JVM ends. Tests that share it keep to topics
     * of their own (a topic prefix each) and never kill, restart or close it: those start their own with {@link #start()}.
     */
    public static synchronized KafkaBroker shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** {@code host:port} for clients' {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** A bridge in its own process on this broker, its event logs being the topics named with {@code topicPrefix}. */
    public Map<String, String> environment(String topicPrefix) {
        return Map.of("BRIDGE_EVENT_LOG", "kafka", "BRIDGE_KAFKA_BOOTSTRAP_SERVERS", bootstrapServers(),
                "BRIDGE_KAFKA_TOPIC_PREFIX", topicPrefix);
    }

    /** Creates a topic (this broker creates none by itself) and waits until every partition has its leader. */
    public void createTopic(String name, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!allPartitionsLed(admin, Set.of(name))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + name + " has partitions without a leader after 30 s" + logTail());
                }
                RunningBridge.sleep(50);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create the topic " + name + ": " + e.getMessage() + logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The broker process' id (it changes with every {@link #restart()}). */
    public synchronized long pid() {
        return process.pid();
    }

    /** SIGKILL: no controlled shutdown, no flush, exactly like a crash or an OOM kill. Returns once the process is gone. */
    public synchronized void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            awaitExit(process, STOP_TIMEOUT);
        }
    }

    /**
     * Starts the broker again on the same ports and log folder, so what it had written is there again; returns once it
     * answers and every partition has its leader. A broker still running is first stopped the way an operator would
     * (SIGTERM: a controlled shutdown), so {@code restart()} alone is a rolling restart and {@code kill(); restart()} a
     * crash and recovery.
     */
    public synchronized void restart() {
        if (removed) {
            throw new IllegalStateException("this Kafka test broker was closed");
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!awaitExit(process, STOP_TIMEOUT)) {
                process.destroyForcibly();
                awaitExit(process, STOP_TIMEOUT);
            }
        }
        launch();
    }

    /** The same as {@link #close()}. */
    public void stop() {
        close();
    }

    /** Kills the broker and removes its folder. */
    @Override
    public synchronized void close() {
        if (removed) {
            return;
        }
        removed = true;
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(removalHook);
        } catch (IllegalStateException | IllegalArgumentException shuttingDownOrRunningIt) {
            // this is the hook, or the JVM is ending anyway
        }
        TestFolders.remove(folder);
    }

    /** The broker's folder: server.properties, data/ (its log), broker.log. */
    public Path folder() {
        return folder;
    }

    /** Everything the broker printed, over all its starts. */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(broker log unreadable: " + e.getMessage() + ")";
        }
    }

    // ---- starting -----------------------------------------------------------------------------------------------

    /**
     * Settings for a one-node test broker: every replication factor 1, a transaction needs one in-sync replica,
     * internal topics of 5 partitions rather than 50 (made at the first group or transaction), no waiting for group
     * members, and no topic made by a client asking for it (the bridge creates its own). A broker session of 2 s, not
     * 9: after a kill, the controller refuses the restarted broker's registration until the old one's session ends.
     * Timed-out transactions are aborted within a second of their timeout, not ten. The log cleaner's buffer is 16 MB,
     * not 128, to fit the heap.
     */
    private void writeSettings() {
        String settings = String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + folder.resolve("data"),
                "num.partitions=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=5",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=5",
                "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "broker.session.timeout.ms=2000",
                "broker.heartbeat.interval.ms=500",
                "log.cleaner.dedupe.buffer.size=16777216",
                "num.network.threads=2",
                "num.io.threads=4",
                "");
        String logging = String.join("\n",
                "log4j.rootLogger=INFO, stdout",
                "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
                "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "log4j.logger.state.change.logger=WARN",
                "log4j.logger.kafka.request.logger=WARN",
                "");
        try {
            Files.writeString(folder.resolve("server.properties"), settings, StandardCharsets.UTF_8);
            Files.writeString(folder.resolve("log4j.properties"), logging, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("could not write the Kafka test broker's settings", e);
        }
    }

    /** {@code kafka-storage format}: a new cluster id and an empty metadata log in the log folder. */
    private void formatStorage() {
        Path output = folder.resolve("format.log");
        List<String> command = java("-Xmx128m", "kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                "-c", folder.resolve("server.properties").toString());
        try {
            Process format = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!awaitExit(format, FORMAT_TIMEOUT)) {
                format.destroyForcibly();
                throw new IllegalStateException("Kafka's storage format did not end within " + FORMAT_TIMEOUT.toSeconds() + " s");
            }
            if (format.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + format.exitValue() + "):\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run Kafka's storage format", e);
        }
    }

    private synchronized void launch() {
        List<String> command = java(BROKER_HEAP, "kafka.Kafka", folder.resolve("server.properties").toString());
        try {
            Files.writeString(logFile, "---- " + Instant.now() + " starting: " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start the Kafka test broker", e);
        }
        try {
            awaitReady();
        } catch (RuntimeException e) {
            process.destroyForcibly();
            awaitExit(process, STOP_TIMEOUT);
            throw e;
        }
    }

    /** Until the client port accepts connections, the broker describes the cluster, and every partition has a leader. */
    private void awaitReady() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!accepts(port)) {
            checkStarting(deadline);
            RunningBridge.sleep(50);
        }
        try (Admin admin = admin()) {
            while (true) {
                checkStarting(deadline);
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                                .get(2, TimeUnit.SECONDS);
                        if (allPartitionsLed(admin, topics)) {
                            return;
                        }
                    }
                } catch (ExecutionException | TimeoutException notYet) {
                    // not answering yet: ask again until the deadline
                }
                RunningBridge.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void checkStarting(long deadline) {
        if (!process.isAlive()) {
            throw new IllegalStateException("the Kafka test broker exited with " + process.exitValue() + " while starting" + logTail());
        }
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the Kafka test broker did not answer within " + START_TIMEOUT.toSeconds() + " s" + logTail());
        }
    }

    private static boolean allPartitionsLed(Admin admin, Set<String> topics) throws InterruptedException {
        if (topics.isEmpty()) {
            return true;
        }
        try {
            Collection<TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get(2, TimeUnit.SECONDS).values();
            return descriptions.stream().flatMap(topic -> topic.partitions().stream())
                    .allMatch(partition -> partition.leader() != null && !partition.leader().isEmpty());
        } catch (ExecutionException | TimeoutException notYet) {
            return false;
        }
    }

    private Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        properties.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-test-broker-" + port);
        return Admin.create(properties);
    }

    /**
     * A JVM on the broker's jars. C1 only: on a busy two-core machine the broker answers in about half the time, and a
     * test's load never needs C2's code.
     */
    private List<String> java(String heap, String mainClass, String... arguments) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                "-Dlog4j.configuration=" + folder.resolve("log4j.properties").toUri(),
                "-cp", libs.toAbsolutePath() + "/*", mainClass));
        command.addAll(List.of(arguments));
        return command;
    }

    private String logTail() {
        List<String> lines = log().lines().toList();
        return "\nlast lines of " + logFile + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /**
     * The folder with the broker's jars: {@code -Dkafka.broker.libs}, else {@link #DEFAULT_LIBS}. fetch-libs fills a
     * folder beside it and renames it, so a folder with Kafka's server jar in it is complete.
     */
    static Path libs() {
        String configured = System.getProperty(LIBS_PROPERTY, "").trim();
        Path libs = Path.of(configured.isEmpty() ? DEFAULT_LIBS : configured);
        try (Stream<Path> files = Files.isDirectory(libs) ? Files.list(libs) : Stream.empty()) {
            if (files.anyMatch(file -> file.getFileName().toString().matches("kafka_2\\.13-.*\\.jar"))) {
                return libs;
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not read " + libs.toAbsolutePath(), e);
        }
        if (configured.isEmpty()) {
            throw new IllegalStateException("the Kafka broker's jars are not in " + libs.toAbsolutePath() + " (mvn test and mvn"
                    + " verify put them there before the tests): run `" + FILL_COMMAND + "` in the project folder, or set -D"
                    + LIBS_PROPERTY + " to a folder that holds them");
        }
        throw new IllegalStateException("-D" + LIBS_PROPERTY + "=" + configured + " holds no kafka_2.13 jar: fill it with `bash"
                + " src/test/kafka-broker/fetch-libs --version=" + AppInfoParser.getVersion() + " --into=" + configured
                + "`, or leave the property out to use " + DEFAULT_LIBS + " (`" + FILL_COMMAND + "`)");
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static boolean awaitExit(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
