package org.segmentbridge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.kafka.common.Uuid;

/**
 * The servers cluster mode needs, for the cluster part of the run: one Kafka broker (KRaft, broker and controller in
 * one JVM of {@code kafka_2.13}'s jars from {@code target/kafka-broker/libs}, the jars the tests and bin/cluster-demo
 * use, with the test broker's settings) and one PostgreSQL server (Debian's {@code initdb} and {@code pg_ctl}; as
 * root run as the {@code postgres} user, since initdb refuses root). Both on free ports of 127.0.0.1, in throwaway
 * folders, their pids in the run's {@code pids} file; {@link #close()} stops both and is safe to call at any time.
 */
final class ClusterServers implements AutoCloseable {

    static final String DB_USER = "bridge";
    static final String DB_PASSWORD = "bench-postgres-password";
    private static final String SERVER_ACCOUNT = "postgres";

    private final Processes processes;
    private final Path work;
    private final Path kafkaLibs;
    private final Path postgresBin;
    private final boolean asServerAccount = "root".equals(System.getProperty("user.name"));

    private Process kafka;
    private int kafkaPort;
    private Path kafkaDir;
    private Path postgresDir;
    private int postgresPort;
    private long postmasterPid = -1;
    private final Thread hook = new Thread(this::close, "bench-cluster-servers-stop");
    private boolean closed;
    Duration kafkaStart = Duration.ZERO;
    Duration postgresStart = Duration.ZERO;

    ClusterServers(Processes processes, Path work, Path kafkaLibs, Path postgresBin) {
        this.processes = processes;
        this.work = work;
        this.kafkaLibs = kafkaLibs;
        this.postgresBin = postgresBin;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    // ---- what is there ------------------------------------------------------------------------------------------

    /** The broker's jars when the folder holds Kafka's server jar (fetch-libs fills it whole or not at all). */
    static Optional<Path> kafkaLibs(Path repo) {
        Path libs = repo.resolve("target/kafka-broker/libs");
        try (Stream<Path> files = Files.isDirectory(libs) ? Files.list(libs) : Stream.empty()) {
            return files.anyMatch(file -> file.getFileName().toString().matches("kafka_2\\.13-.*\\.jar")) ? Optional.of(libs) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** {@code POSTGRES_BIN}, else the newest of Debian's /usr/lib/postgresql/<version>/bin, else the PATH. */
    static Optional<Path> postgresBin() {
        String configured = System.getenv("POSTGRES_BIN");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(dir -> Files.isExecutable(dir.resolve("initdb")));
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.map(version -> version.resolve("bin"))
                        .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                        .max(Comparator.comparingInt(bin -> major(bin.getParent().getFileName().toString())));
                if (newest.isPresent()) {
                    return newest;
                }
            } catch (IOException e) {
                // try the PATH
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, "initdb")) && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Optional.of(Path.of(dir));
            }
        }
        return Optional.empty();
    }

    /** The version {@code postgres --version} names after "(PostgreSQL)", e.g. 15.18; the folder's name if none. */
    static String postgresVersion(Path bin) {
        try {
            Process process = new ProcessBuilder(bin.resolve("postgres").toString(), "--version").redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            process.waitFor(10, TimeUnit.SECONDS);
            int at = text.indexOf("(PostgreSQL)");
            if (at >= 0) {
                String[] words = text.substring(at + "(PostgreSQL)".length()).trim().split("\\s+");
                if (!words[0].isEmpty()) {
                    return words[0];
                }
            }
        } catch (IOException e) {
            // the folder's name below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return bin.getParent() == null ? "?" : bin.getParent().getFileName().toString();
    }

    private static int major(String version) {
        try {
            return Integer.parseInt(version.replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---- starting -----------------------------------------------------------------------------------------------

    /** Starts both: the broker's JVM first, PostgreSQL while it boots, then waits for the broker to answer. */
    void start() throws Exception {
        long began = System.nanoTime();
        launchKafka();
        long postgresBegan = System.nanoTime();
        startPostgres();
        postgresStart = Duration.ofNanos(System.nanoTime() - postgresBegan);
        awaitKafka(began);
        kafkaStart = Duration.ofNanos(System.nanoTime() - began);
    }

    /**
     * The test broker's settings (support/KafkaBroker): one node, every replication factor 1, a transaction needs
     * one in-sync replica, internal topics of 5 partitions, no waiting for group members, no topic made by a client
     * asking for it (the bridges create theirs), a 16 MB cleaner buffer to fit the heap, and C1 only (a broker that
     * shares two cores answers faster without C2's compilations), and a deleted topic's files removed within a
     * second. Kafka's own durability defaults are kept: it
     * acknowledges a write once it is in the page cache of the in-sync replicas, without forcing it to disk.
     */
    private void launchKafka() throws Exception {
        kafkaDir = work.resolve("kafka");
        Files.createDirectories(kafkaDir);
        kafkaPort = Processes.freePort();
        int controllerPort = Processes.freePort();
        while (controllerPort == kafkaPort) {
            controllerPort = Processes.freePort();
        }
        Files.writeString(kafkaDir.resolve("server.properties"), String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + kafkaPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + kafkaPort,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + kafkaDir.resolve("data"),
                "num.partitions=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=5",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=5",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "log.cleaner.dedupe.buffer.size=16777216",
                // A deleted topic's files go at once, not after a minute: each setup's topics are deleted after it.
                "file.delete.delay.ms=1000",
                "num.network.threads=2",
                "num.io.threads=4",
                ""));
        Files.writeString(kafkaDir.resolve("log4j.properties"), String.join("\n",
                "log4j.rootLogger=INFO, stdout",
                "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
                "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "log4j.logger.state.change.logger=WARN",
                "log4j.logger.kafka.request.logger=WARN",
                ""));
        Process format = processes.start(kafkaJava("-Xmx128m", "kafka.tools.StorageTool", "format", "-t",
                Uuid.randomUuid().toString(), "-c", kafkaDir.resolve("server.properties").toString()), Map.of(), kafkaDir,
                kafkaDir.resolve("format.log"));
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IllegalStateException("Kafka's storage format failed; see " + kafkaDir.resolve("format.log"));
        }
        kafka = processes.start(kafkaJava("-Xmx384m", "kafka.Kafka", kafkaDir.resolve("server.properties").toString()),
                Map.of(), kafkaDir, kafkaDir.resolve("broker.log"));
        BenchRun.log("Kafka broker (pid " + kafka.pid() + ") starting on 127.0.0.1:" + kafkaPort);
    }

    private List<String> kafkaJava(String heap, String mainClass, String... arguments) {
        List<String> command = new ArrayList<>(List.of(BenchRun.javaBinary(), heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true", "-Dlog4j.configuration=" + kafkaDir.resolve("log4j.properties").toUri(),
                "-cp", kafkaLibs.toAbsolutePath() + "/*", mainClass));
        command.addAll(List.of(arguments));
        return command;
    }

    /** Until the port accepts and the broker describes a cluster with a node in it. */
    private void awaitKafka(long began) throws Exception {
        long deadline = began + Duration.ofSeconds(90).toNanos();
        while (!accepts(kafkaPort)) {
            checkKafka(deadline);
            Thread.sleep(50);
        }
        try (Admin admin = admin()) {
            while (true) {
                checkKafka(deadline);
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException notYet) {
                    // ask again
                }
                Thread.sleep(100);
            }
        }
    }

    private void checkKafka(long deadline) {
        if (!kafka.isAlive()) {
            throw new IllegalStateException("the Kafka broker exited while starting; see " + kafkaDir.resolve("broker.log"));
        }
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the Kafka broker did not answer within 90 s; see " + kafkaDir.resolve("broker.log"));
        }
    }

    /**
     * A new cluster in a folder of its own under the system's temporary folder (the postgres user must reach it, and
     * the run's work folder is root's alone), started with PostgreSQL's defaults but for a small shared memory: fsync
     * and synchronous commits stay on, as on a production server.
     */
    private void startPostgres() throws Exception {
        postgresDir = Files.createTempDirectory("segment-bridge-bench-postgres-");
        Files.writeString(work.resolve("postgres-dir"), postgresDir + "\n");
        Path sockets = Files.createDirectories(postgresDir.resolve("sockets"));
        Path passwordFile = postgresDir.resolve("password");
        Files.writeString(passwordFile, DB_PASSWORD + "\n", StandardCharsets.UTF_8);
        if (asServerAccount) {
            UserPrincipal owner = postgresDir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SERVER_ACCOUNT);
            for (Path path : List.of(postgresDir, sockets, passwordFile)) {
                Files.setOwner(path, owner);
            }
        }
        postgresPort = Processes.freePort();
        Path data = postgresDir.resolve("data");
        serverCommand("initdb", postgresBin.resolve("initdb").toString(), "-D", data.toString(), "-U", DB_USER,
                "--pwfile=" + passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--locale=C");
        serverCommand("pg_ctl-start", postgresBin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                postgresDir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                "-p " + postgresPort + " -k " + sockets + " -c listen_addresses=127.0.0.1 -c shared_buffers=64MB -c max_connections=100",
                "start");
        postmasterPid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        processes.adopt(postmasterPid);
        BenchRun.log("PostgreSQL (postmaster pid " + postmasterPid + ") runs on 127.0.0.1:" + postgresPort);
    }

    private void serverCommand(String name, String... command) throws Exception {
        serverCommand(true, name, command);
    }

    /**
     * A PostgreSQL program, as the postgres user when this runs as root. {@code recorded}: started through
     * {@link Processes} (its pid in the pids file); not so when stopping, which may run in a shutdown hook while
     * Processes stops everything else.
     */
    private void serverCommand(boolean recorded, String name, String... command) throws Exception {
        List<String> line = new ArrayList<>();
        if (asServerAccount) {
            line.addAll(List.of("runuser", "-u", SERVER_ACCOUNT, "--"));
        }
        line.addAll(List.of(command));
        Path log = work.resolve("postgres-" + name + ".log");
        // Output to a file, not a pipe: pg_ctl's server inherits it and outlives the command.
        Process process = recorded ? processes.start(line, Map.of(), postgresDir, log)
                : new ProcessBuilder(line).directory(postgresDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", line) + " did not end within 90 s; see " + log);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", line) + " failed (" + process.exitValue() + "); see " + log
                    + " and " + postgresDir.resolve("server.log"));
        }
    }

    // ---- using them ---------------------------------------------------------------------------------------------

    String bootstrapServers() {
        return "127.0.0.1:" + kafkaPort;
    }

    long kafkaPid() {
        return kafka == null ? -1 : kafka.pid();
    }

    long postmasterPid() {
        return postmasterPid;
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + database;
    }

    void createDatabase(String name) throws SQLException {
        try {
            Class.forName("org.postgresql.Driver");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the PostgreSQL driver is not in the bridge's jar", e);
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), DB_USER, DB_PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
    }

    /** Drops a database no bridge uses any more (its setup is done), to give its disk back. */
    void dropDatabase(String name) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), DB_USER, DB_PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name);
        }
    }

    /** Deletes every topic whose name starts with {@code prefix + "."} (a finished setup's), to give its disk back. */
    void deleteTopics(String prefix) throws Exception {
        try (Admin admin = admin()) {
            Set<String> topics = new java.util.HashSet<>();
            for (String topic : admin.listTopics().names().get(10, TimeUnit.SECONDS)) {
                if (topic.startsWith(prefix + ".")) {
                    topics.add(topic);
                }
            }
            if (!topics.isEmpty()) {
                admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** A bridge's settings for its state in {@code database}, as environment variables. */
    Map<String, String> stateEnv(String database) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BRIDGE_STATE_JDBC_URL", jdbcUrl(database));
        env.put("BRIDGE_STATE_USERNAME", DB_USER);
        env.put("BRIDGE_STATE_PASSWORD", DB_PASSWORD);
        return env;
    }

    /** A bridge's settings for cluster mode: its logs on the broker under {@code topicPrefix}, 12 partitions each. */
    Map<String, String> kafkaEnv(String topicPrefix) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BRIDGE_EVENT_LOG", "kafka");
        env.put("BRIDGE_KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
        env.put("BRIDGE_KAFKA_TOPIC_PREFIX", topicPrefix);
        return env;
    }

    /**
     * Waits until each consumer group is stable with {@code members} members, so that a measurement does not start
     * in the middle of a rebalance (the bridges' processors and destination readers join as they start).
     */
    void awaitGroups(Set<String> groups, int members, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = admin()) {
            while (true) {
                try {
                    Map<String, ConsumerGroupDescription> described = admin.describeConsumerGroups(groups).all().get(5, TimeUnit.SECONDS);
                    if (described.values().stream().allMatch(group -> group.state() == ConsumerGroupState.STABLE
                            && group.members().size() == members
                            && group.members().stream().allMatch(member -> !member.assignment().topicPartitions().isEmpty()))) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException notYet) {
                    // ask again
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("consumer groups " + groups + " were not stable with " + members
                            + " members within " + timeout.toSeconds() + " s");
                }
                Thread.sleep(100);
            }
        }
    }

    private Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        properties.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-admin");
        return Admin.create(properties);
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    // ---- stopping -----------------------------------------------------------------------------------------------

    /**
     * Stops the broker (its data is thrown away, so no controlled shutdown is waited for beyond 5 s) and PostgreSQL
     * ({@code pg_ctl stop -m fast}, else SIGKILL to the postmaster), keeps the server log in the work folder and
     * removes PostgreSQL's folder.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (kafka != null) {
            Processes.stop(kafka, Duration.ofSeconds(5));
        }
        if (postgresDir != null) {
            Path data = postgresDir.resolve("data");
            if (Files.exists(data.resolve("postmaster.pid"))) {
                try {
                    serverCommand(false, "pg_ctl-stop", postgresBin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast",
                            "-w", "-t", "20", "stop");
                } catch (Exception e) {
                    BenchRun.log("pg_ctl stop failed (" + e.getMessage() + "); killing the postmaster");
                }
            }
            if (postmasterPid > 0) {
                ProcessHandle.of(postmasterPid).ifPresent(ProcessHandle::destroyForcibly);
            }
            try {
                Path log = postgresDir.resolve("server.log");
                if (Files.exists(log)) {
                    Files.copy(log, work.resolve("postgres-server.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException ignored) {
                // the log is a convenience
            }
            try (Stream<Path> files = Files.walk(postgresDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException | RuntimeException e) {
                // a temporary folder; the system's cleanup gets it
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException shuttingDownOrRunningIt) {
            // this is the hook, or the JVM is ending anyway
        }
    }
}
