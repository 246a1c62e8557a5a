package org.segmentbridge.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.FileUtil;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's relational state (message ledger, dead letters, identity and pending stores): an embedded H2 database
 * file under the data folder by default, or a PostgreSQL database by setting ({@link StateDialect}), its schema kept
 * by Flyway migrations in {@code db/migration} (SQL that both databases run as it is) and, on PostgreSQL only,
 * {@code db/postgresql} ({@link #migrationLocations}).
 *
 * <p>A fatal database error is never permanent. Every error passing through a pooled connection is judged (see
 * {@link StoreFailures}): a fatal one evicts that connection and soft-evicts all the others (idle ones are closed at
 * once, busy ones when they are handed back), so no request is handed a connection to a dead database again. For the
 * embedded file no new connection is opened until all the old ones are closed (see {@link EmbeddedH2Connections});
 * the next one then opens the file again. {@link #storageProblem()} runs a real write with a short timeout, which the
 * health check reports.
 */
public class StateStore extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);

    /** How long a request waits for a connection before it fails (the intake then answers 503). */
    static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(3);
    /** How long the health check's write may take before the store counts as down. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);
    /** How long one attempt to open an embedded connection waits for the failed database's connections to close. */
    static final Duration OPEN_WAIT = Duration.ofSeconds(2);
    /** Connections to a failed embedded database still in use after this long are closed by force. */
    static final Duration RETIRE_GRACE = Duration.ofSeconds(10);
    private static final Duration RETIRE_POLL = Duration.ofMillis(200);
    private static final Duration WARN_EVERY = Duration.ofSeconds(30);

    private final String jdbcUrl;
    private final String username;
    private final String password;
    private final boolean embedded;
    private final StateDialect dialect;
    private volatile HikariDataSource dataSource;
    private EmbeddedH2Connections embeddedConnections;
    private ExecutorService checks;
    private ScheduledExecutorService recovery;
    private Future<?> heartbeat;
    private ScheduledFuture<?> retiringWatch;
    private Instant retiringSince;
    private volatile Failure lastFatal;
    /** The last heartbeat write that failed (it may have failed after the health check stopped waiting for it). */
    private volatile Failure lastWriteFailure;
    private volatile Instant outageSince;
    /** The folder of a throwaway store ({@link #inTemporaryFolder}), removed when it stops; else null. */
    private Path removedOnStop;
    private Instant lastWarning;
    private final AtomicLong fatalErrors = new AtomicLong();
    private final AtomicLong recoveries = new AtomicLong();

    /** A fatal error of the state database: when, and what (no SQL text, no secrets). */
    public record Failure(Instant at, String description) {
    }

    /** Thrown by {@link #dataSource()} while the store is stopped; the store counts as unavailable. */
    public static final class NotStarted extends IllegalStateException {
        NotStarted() {
            super("state store is not started");
        }
    }

    /** The embedded H2 file under {@code dataDir/state}. */
    public StateStore(Path dataDir) {
        this(null, "bridge", "", dataDir);
    }

    /**
     * An embedded store in a new folder of the system's temporary folder, removed with its files when the store stops:
     * a dry run's ({@code segment-bridge try}), which must neither touch the bridge's own state nor leave one behind.
     */
    public static StateStore inTemporaryFolder() throws IOException {
        Path folder = Files.createTempDirectory("segment-bridge-try-");
        StateStore store = new StateStore(folder);
        store.removedOnStop = folder;
        return store;
    }

    /**
     * @param jdbcUrl a PostgreSQL (or H2 server) database, or null for the embedded H2 file under {@code dataDir/state}
     * @throws IllegalArgumentException for a database the bridge does not support (see {@link StateDialect#of})
     */
    public StateStore(String jdbcUrl, String username, String password, Path dataDir) {
        this.embedded = jdbcUrl == null;
        this.jdbcUrl = embedded ? embeddedUrl(dataDir, Runtime.getRuntime().maxMemory()) : jdbcUrl;
        this.dialect = StateDialect.of(this.jdbcUrl);
        this.username = username;
        this.password = password;
    }

    /** The embedded database's name: H2 keeps it in {@code dataDir/state/bridge.mv.db}. */
    private static final String EMBEDDED_NAME = "bridge";

    /** The file of the embedded database under a data folder (it exists once a bridge has run on the folder). */
    public static Path embeddedFile(Path dataDir) {
        return dataDir.resolve("state").toAbsolutePath().resolve(EMBEDDED_NAME + ".mv.db");
    }

    /**
     * The embedded database's URL.
     * <ul>
     * <li>AUTO_SERVER stays off: the file belongs to this process alone; a second bridge on the same data folder fails
     * fast.</li>
     * <li>DB_CLOSE_DELAY=0 is H2's default, written out because recovery relies on it: a database closes when its last
     * connection closes, so once the pool has closed every connection to a failed database the next connection opens
     * the file again. With -1 a database H2 closed after an out-of-memory error stayed registered and kept the file
     * locked: every new connection failed with 90020 until the process ended.</li>
     * <li>CACHE_SIZE (KB) is set from the heap: see {@link #cacheSizeKb}.</li>
     * </ul>
     */
    static String embeddedUrl(Path dataDir, long maxHeapBytes) {
        return "jdbc:h2:file:" + dataDir.resolve("state").toAbsolutePath().resolve(EMBEDDED_NAME)
                + ";DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=0;LOCK_TIMEOUT=10000;CACHE_SIZE=" + cacheSizeKb(maxHeapBytes);
    }

    /**
     * H2's page cache, in KB: a thirty-second of the maximum heap, at least 4 MB and at most 64 MB. H2 2.3 caches
     * 16 MB whatever the heap, and that limit counts H2's own estimate of its pages, not their real size; the process
     * shares its heap with the queue broker, the HTTP servers and thousands of events in flight, and in a 256 MB heap
     * (the README's {@code -Xmx256m}) an out-of-memory error inside H2 closed the database. A thirty-second keeps the
     * store's part of the heap small and predictable there (8 MB), and still lets a larger heap cache more of the
     * message ledger, whose lookups are random.
     */
    static int cacheSizeKb(long maxHeapBytes) {
        long heap = maxHeapBytes == Long.MAX_VALUE ? 512L * 1024 * 1024 : maxHeapBytes;
        long kb = heap / 32 / 1024;
        return (int) Math.max(4 * 1024, Math.min(64 * 1024, kb));
    }

    @Override
    protected void doStart() {
        HikariConfig config = new HikariConfig();
        config.setPoolName("state-store");
        if (embedded) {
            embeddedConnections = new EmbeddedH2Connections(jdbcUrl, username, password, OPEN_WAIT, this::fatal);
            config.setDataSource(embeddedConnections);
        } else {
            config.setJdbcUrl(jdbcUrl);
            config.setUsername(username);
            config.setPassword(password);
        }
        config.setMaximumPoolSize(16);
        config.setAutoCommit(true);
        // A request waits at most this long for a connection, then fails (503) instead of hanging.
        config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
        config.setValidationTimeout(CHECK_TIMEOUT.toMillis());
        // Idle connections are validated every 30 s, so a database server that went away is noticed before a request
        // gets its dead connection. (For the embedded file this finds closed sessions only: H2 answers isValid with
        // true on a database it closed after an out-of-memory error, which the exception override below catches.)
        config.setKeepaliveTime(Duration.ofSeconds(30).toMillis());
        config.setExceptionOverride(new FatalErrors());
        checks = Executors.newSingleThreadExecutor(daemon("state-store-check"));
        recovery = Executors.newSingleThreadScheduledExecutor(daemon("state-store-recovery"));
        lastFatal = null;
        lastWriteFailure = null;
        outageSince = null;
        HikariDataSource pool = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(pool).locations(migrationLocations(dialect)).load().migrate();
            if (embedded) {
                writeToFile(pool);
            }
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        // Only a migrated store is handed out: a health check polled during the start wrote its heartbeat row into
        // the table the migration was still creating, and failed the migration's own insert of it.
        dataSource = pool;
    }

    /**
     * Where Flyway finds the migrations: {@code db/migration} (SQL both databases run as it is) and, on PostgreSQL,
     * also {@code db/postgresql}: what only a database that several bridges share needs (V10 and V14: the shared
     * pacers' pauses and windows; V11: Quartz's clustered job store, see {@link ClusteredScheduler}). One version sequence
     * across both folders: a version is never used in both, and an H2 database simply never has the PostgreSQL ones.
     */
    static String[] migrationLocations(StateDialect dialect) {
        return dialect == StateDialect.POSTGRESQL
                ? new String[] {"classpath:db/migration", "classpath:db/postgresql"}
                : new String[] {"classpath:db/migration"};
    }

    /**
     * H2 writes committed changes to its file up to half a second later (WRITE_DELAY), and a database it closes after
     * an out-of-memory error loses what was not written yet. The schema is written at once, so a database reopened
     * after such an error just after the start is not an empty file.
     */
    private static void writeToFile(DataSource pool) {
        try (Connection connection = pool.getConnection(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw new IllegalStateException("the state database could not be written: " + StoreFailures.describe(e), e);
        }
    }

    /**
     * Makes what was committed so far survive a killed process. H2 writes committed changes to its file up to half a
     * second later (WRITE_DELAY), and the processor's crash safety rests on the order "database committed, then the
     * destinations' logs": a ledger row, a consent change or a tombstone lost after its events were published would
     * let a resent event through again, weigh a consent change twice, or let an erased person back in. The processor
     * asks for this once per batch, before it publishes; writing every commit at once instead (WRITE_DELAY=0) cost
     * every other writer too (in bench/run, about a fifth of the single-event intake, and more delay at 500 events/s). PostgreSQL's commit is durable already.
     */
    public void makeCommittedDurable() throws SQLException {
        if (!embedded) {
            return;
        }
        try (Connection connection = dataSource().getConnection(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute("CHECKPOINT");
        }
    }

    @Override
    protected void doStop() {
        HikariDataSource closing = dataSource;
        dataSource = null;
        if (checks != null) {
            checks.shutdownNow();
            recovery.shutdownNow();
        }
        synchronized (this) {
            heartbeat = null;
            retiringWatch = null;
        }
        if (closing != null) {
            closing.close();
        }
        if (removedOnStop != null) {
            FileUtil.removeDir(removedOnStop.toFile());
        }
    }

    /**
     * True for the embedded H2 file, which no other process can open while this one has it (H2 locks the file, and
     * AUTO_SERVER is off): every write to it is this process's own, so a memory that this process keeps up to date on
     * its own writes cannot go stale. False for a database server, which other bridges may share (cluster mode).
     */
    public boolean ownedByThisProcess() {
        return embedded;
    }

    /** Which SQL the database speaks, for the few statements that differ. */
    public StateDialect dialect() {
        return dialect;
    }

    public DataSource dataSource() {
        DataSource current = dataSource;
        if (current == null) {
            throw new NotStarted();
        }
        return current;
    }

    /** Whether a real write answers within {@link #CHECK_TIMEOUT}. */
    public boolean isHealthy() {
        return storageProblem().isEmpty();
    }

    /**
     * Why the store cannot store now, if it cannot: writes the heartbeat row (a real round trip through the pool, with
     * a timeout), and counts a fatal error reported by any other use of the store while that write ran. Empty once a
     * write succeeds with no fatal error meanwhile.
     */
    public Optional<String> storageProblem() {
        HikariDataSource pool = dataSource;
        if (pool == null || pool.isClosed()) {
            return Optional.of("the state store is not started");
        }
        Instant started = Instant.now();
        Future<?> write;
        synchronized (this) {
            // A write that is still hanging is waited for again rather than piling up another one behind it.
            if (heartbeat == null || heartbeat.isDone()) {
                try {
                    heartbeat = checks.submit(() -> {
                        try {
                            writeHeartbeat(pool);
                        } catch (SQLException | RuntimeException e) {
                            lastWriteFailure = new Failure(Instant.now(), problem(StoreFailures.describe(e)));
                            throw e;
                        }
                        return null;
                    });
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    return Optional.of("the state store is stopping");
                }
            }
            write = heartbeat;
        }
        try {
            write.get(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Failure earlier = lastWriteFailure;
            String why = earlier != null && Duration.between(earlier.at(), Instant.now()).compareTo(Duration.ofSeconds(30)) < 0
                    ? "; the last write failed: " + earlier.description() : "";
            return Optional.of(problem("the state database did not complete a write within " + CHECK_TIMEOUT.toSeconds() + " s" + why));
        } catch (ExecutionException e) {
            return Optional.of(problem("the state database cannot store: " + StoreFailures.describe(e.getCause())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while checking the state database");
        }
        Failure fatal = lastFatal;
        if (fatal != null && !fatal.at().isBefore(started)) {
            return Optional.of(problem("the state database failed: " + fatal.description()));
        }
        recovered();
        return Optional.empty();
    }

    /** The last fatal error, if any since the start. */
    public Optional<Failure> lastFatal() {
        return Optional.ofNullable(lastFatal);
    }

    /** Fatal errors seen since the start. */
    public long fatalErrors() {
        return fatalErrors.get();
    }

    /** Times the store answered again after a fatal error, since the start. */
    public long recoveries() {
        return recoveries.get();
    }

    private String problem(String text) {
        return StoreFailures.without(text, password);
    }

    private static void writeHeartbeat(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
             PreparedStatement update = connection.prepareStatement("UPDATE state_heartbeat SET beat_at = ? WHERE id = 1")) {
            update.setQueryTimeout((int) CHECK_TIMEOUT.toSeconds());
            update.setTimestamp(1, Timestamp.from(Instant.now()));
            if (update.executeUpdate() == 0) {
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO state_heartbeat (id, beat_at) VALUES (1, ?)")) {
                    insert.setQueryTimeout((int) CHECK_TIMEOUT.toSeconds());
                    insert.setTimestamp(1, Timestamp.from(Instant.now()));
                    insert.executeUpdate();
                }
            }
        }
    }

    /** Hikari hands every SQLException a pooled connection raised to this: fatal ones evict, and start a recovery. */
    private final class FatalErrors implements SQLExceptionOverride {
        @java.lang.Override
        public SQLExceptionOverride.Override adjudicate(SQLException e) {
            if (!StoreFailures.isFatal(e)) {
                return SQLExceptionOverride.Override.CONTINUE_EVICT; // Hikari's own rules (SQLState 08, ...) still apply
            }
            fatal(e);
            return SQLExceptionOverride.Override.MUST_EVICT;
        }
    }

    /**
     * A fatal error on some connection: remembered for the health check, and every connection to the failed database
     * is let go so the next one reaches a working (for the embedded file: reopened) database.
     */
    private void fatal(SQLException e) {
        fatalErrors.incrementAndGet();
        Failure failure = new Failure(Instant.now(), problem(StoreFailures.describe(e)));
        lastFatal = failure;
        boolean warn;
        synchronized (this) {
            if (outageSince == null) {
                outageSince = failure.at();
            }
            // Under load every request meets the failure: one warning per outage (and a reminder every 30 s) is enough.
            warn = lastWarning == null || Duration.between(lastWarning, failure.at()).compareTo(WARN_EVERY) > 0;
            if (warn) {
                lastWarning = failure.at();
            }
        }
        if (warn) {
            LOG.warn("The state database failed ({}); every connection to it is closed and {}", failure.description(),
                    embedded ? "the database file is opened again" : "new connections are made");
        }
        HikariDataSource pool = dataSource;
        if (pool == null) {
            return;
        }
        if (embeddedConnections != null && embeddedConnections.retire() > 0) {
            watchRetiring();
        }
        pool.getHikariPoolMXBean().softEvictConnections();
    }

    /**
     * Until every retired connection is closed: evicts again what the pool may have added meanwhile, and after
     * {@link #RETIRE_GRACE} closes what is still in use.
     */
    private synchronized void watchRetiring() {
        if (retiringWatch != null && !retiringWatch.isDone()) {
            return;
        }
        retiringSince = Instant.now();
        try {
            retiringWatch = recovery.scheduleWithFixedDelay(this::checkRetiring, RETIRE_POLL.toMillis(), RETIRE_POLL.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // stopping: the pool closes every connection anyway
        }
    }

    private void checkRetiring() {
        HikariDataSource pool = dataSource;
        EmbeddedH2Connections connections = embeddedConnections;
        if (pool == null || connections == null) {
            throw new IllegalStateException("stopped"); // ends the watch
        }
        int left = connections.retiring();
        if (left == 0) {
            LOG.info("Every connection to the failed state database is closed; the next one opens the file again");
            throw new IllegalStateException("done"); // ends the watch
        }
        pool.getHikariPoolMXBean().softEvictConnections();
        Instant since;
        synchronized (this) {
            since = retiringSince;
        }
        if (Duration.between(since, Instant.now()).compareTo(RETIRE_GRACE) > 0) {
            LOG.warn("{} connection(s) to the failed state database were still in use after {} s; closing them", left,
                    RETIRE_GRACE.toSeconds());
            connections.closeRetired();
        }
    }

    /** A write succeeded with no fatal error meanwhile: an outage, if there was one, is over. */
    private void recovered() {
        Instant since;
        synchronized (this) {
            since = outageSince;
            outageSince = null;
            lastWarning = null;
        }
        if (since != null) {
            recoveries.incrementAndGet();
            LOG.info("The state database stores again, {} ms after it failed", Duration.between(since, Instant.now()).toMillis());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
