package org.segmentbridge.support;

import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, throwaway PostgreSQL server for tests: a new cluster made by {@code initdb} in a temporary folder, run by
 * {@code pg_ctl} on a free port of 127.0.0.1, removed when closed (or when the JVM ends). No Docker engine runs on
 * these machines and no mock may stand in for the server; the binaries come from Debian's {@code postgresql} package,
 * which {@code .ci/run} installs when they are missing.
 *
 * <p>initdb refuses to run as root, so as root every server command runs as the {@code postgres} user the package
 * creates, in a folder that user owns. The bridge connects over TCP as {@link #USER} with {@link #PASSWORD} (SCRAM),
 * as it would to a real server.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String USER = "bridge";
    public static final String PASSWORD = "bridge-test-password";
    private static final String SERVER_ACCOUNT = "postgres";
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private static PostgresServer shared;

    private final Path binaries;
    private final Path folder;
    private final Path data;
    private final int port;
    private final boolean asServerAccount;
    private volatile boolean removed;

    private PostgresServer(Path binaries, Path folder, int port, boolean asServerAccount) {
        this.binaries = binaries;
        this.folder = folder;
        this.data = folder.resolve("data");
        this.port = port;
        this.asServerAccount = asServerAccount;
    }

    /** A new cluster, started. */
    public static PostgresServer start() {
        Path binaries = binaries();
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        try {
            Path folder = Files.createTempDirectory("bridge-postgres-");
            PostgresServer server = new PostgresServer(binaries, folder, RunningBridge.freePort(), asRoot);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "postgres-test-server-removal"));
            server.initialise();
            server.startServer();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not create a PostgreSQL test cluster", e);
        }
    }

    /** One server for the whole JVM, started on first use, removed when the JVM ends. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    /** A new, empty database on this server; its name is returned. */
    public String createDatabase(String name) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD);
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
            return name;
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the test database " + name + ": " + e.getMessage(), e);
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** The bridge's settings for one database of this server. */
    public Map<String, String> settings(String database) {
        return Map.of("bridge.state.jdbc-url", jdbcUrl(database), "bridge.state.username", USER, "bridge.state.password", PASSWORD);
    }

    /** The same as environment variables, for a bridge in its own process. */
    public Map<String, String> environment(String database) {
        return Map.of("BRIDGE_STATE_JDBC_URL", jdbcUrl(database), "BRIDGE_STATE_USERNAME", USER, "BRIDGE_STATE_PASSWORD", PASSWORD);
    }

    /** Stops the server the way an operator's fast shutdown does: sessions are ended (57P01), connections refused after. */
    public void stop() {
        serverCommand(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop");
    }

    /** Starts the stopped server again, with its data, on the same port. */
    public void startAgain() {
        startServer();
    }

    /** Stops the server at once and removes its folder. */
    @Override
    public synchronized void close() {
        if (removed) {
            return;
        }
        removed = true;
        if (Files.exists(data.resolve("postmaster.pid"))) {
            try {
                serverCommand(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
            } catch (IllegalStateException alreadyStopped) {
                // nothing to stop
            }
        }
        TestFolders.remove(folder);
    }

    private void initialise() throws IOException {
        Files.createDirectories(folder.resolve("sockets"));
        Path passwordFile = folder.resolve("password");
        Files.writeString(passwordFile, PASSWORD + "\n", StandardCharsets.UTF_8);
        if (asServerAccount) {
            UserPrincipal owner = folder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SERVER_ACCOUNT);
            for (Path path : List.of(folder, folder.resolve("sockets"), passwordFile)) {
                Files.setOwner(path, owner);
            }
        }
        serverCommand(binaries.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--pwfile=" + passwordFile,
                "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--locale=C", "--no-sync");
    }

    /**
     * Settings for a throwaway server: no fsync (nothing here must survive a crash of the machine; a server stopped
     * with pg_ctl still writes everything), small shared memory, and room for the pools of the bridges one test runs.
     */
    private void startServer() {
        String options = "-p " + port + " -k " + folder.resolve("sockets") + " -c listen_addresses=127.0.0.1"
                + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB"
                + " -c max_connections=300";
        serverCommand(binaries.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", folder.resolve("server.log").toString(),
                "-o", options, "-w", "-t", "60", "start");
    }

    private void serverCommand(String... command) {
        List<String> line = new ArrayList<>();
        if (asServerAccount) {
            line.addAll(List.of("runuser", "-u", SERVER_ACCOUNT, "--"));
        }
        line.addAll(List.of(command));
        try {
            Path output = Files.createTempFile("postgres-command-", ".log");
            // Output to a file, not a pipe: pg_ctl's server inherits it and outlives the command.
            Process process = new ProcessBuilder(line).directory(folder.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", line) + " did not end within " + COMMAND_TIMEOUT.toSeconds() + " s");
            }
            String printed = Files.readString(output);
            Files.deleteIfExists(output);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", line) + " failed (" + process.exitValue() + "):\n" + printed
                        + serverLog());
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", line), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String serverLog() {
        try {
            Path log = folder.resolve("server.log");
            return Files.exists(log) ? "\nserver log:\n" + Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The folder with initdb and pg_ctl: {@code POSTGRES_BIN} if set, else the newest of Debian's versioned folders
     * ({@code /usr/lib/postgresql/<version>/bin}, not on the PATH), else the PATH.
     */
    static Path binaries() {
        Optional<Path> configured = Optional.ofNullable(System.getenv("POSTGRES_BIN")).filter(dir -> !dir.isBlank()).map(Path::of);
        if (configured.isPresent()) {
            return configured.get();
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Optional<Path> newest = versions.map(version -> version.resolve("bin"))
                        .filter(bin -> Files.isExecutable(bin.resolve("initdb")))
                        .max(Comparator.comparingInt(PostgresServer::majorVersion));
                if (newest.isPresent()) {
                    return newest.get();
                }
            } catch (IOException e) {
                // fall through to the PATH
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, "initdb")) && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Path.of(dir);
            }
        }
        throw new IllegalStateException("PostgreSQL's initdb was not found (in /usr/lib/postgresql/*/bin or on the PATH):"
                + " install Debian's postgresql package (bash .ci/run does), or set POSTGRES_BIN");
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString().replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
