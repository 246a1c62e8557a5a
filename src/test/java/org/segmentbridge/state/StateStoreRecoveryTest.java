package org.segmentbridge.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state store against a real embedded H2 file: a fatal error evicts the pool's connections and the database is
 * opened again, with no restart; the health check's write says when it cannot store, and why.
 */
class StateStoreRecoveryTest {

    @TempDir
    Path dataDir;
    private StateStore store;

    @AfterEach
    void stop() {
        if (store != null) {
            store.stop();
        }
    }

    private StateStore start(String password) {
        store = new StateStore(null, "bridge", password, dataDir);
        store.start();
        return store;
    }

    private HikariDataSource pool() {
        return (HikariDataSource) store.dataSource();
    }

    private long count() throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM state_heartbeat")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void afterShutdownThePoolHandsOutConnectionsToTheReopenedDatabaseAtOnce() throws Exception {
        start("");
        await().atMost(Duration.ofSeconds(5)).until(() -> pool().getHikariPoolMXBean().getTotalConnections() == 16);

        try (Connection killer = store.dataSource().getConnection()) {
            H2Failures.shutdownThrough(killer, false);
        } catch (SQLException closingADeadConnection) {
            // handing back a connection to a closed database fails; the pool evicts it
        }

        // Back to back, so the pool's validation (skipped for connections used in the last 500 ms) would never catch
        // a dead one: before the fix every one of these failed with 90121 for as long as the process lived.
        int failures = 0;
        for (int i = 0; i < 40; i++) {
            try {
                assertThat(count()).isEqualTo(1);
            } catch (SQLException e) {
                failures++;
            }
        }
        assertThat(failures).as("requests that met the closed database").isZero();
        assertThat(store.fatalErrors()).as("fatal errors seen").isPositive();
        assertThat(store.storageProblem()).isEmpty();
    }

    @Test
    void afterAnOutOfMemoryErrorNoConnectionOpensTheFileUntilEveryOldOneIsClosed() throws Exception {
        start("");
        List<Connection> busy = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            busy.add(store.dataSource().getConnection());
        }
        try (Connection failing = store.dataSource().getConnection()) {
            assertThat(H2Failures.outOfMemoryThrough(failing).getErrorCode()).isEqualTo(90108);
        } catch (SQLException closingADeadConnection) {
            // evicted
        }
        for (Connection connection : busy) {
            assertThat(connection.isValid(1)).as("H2 says a connection to the database it closed is valid").isTrue();
        }

        CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> {
            try {
                return count();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(next).as("a new connection waits while connections to the closed database are open").isNotDone();

        for (Connection connection : busy) {
            try (Statement statement = connection.createStatement()) {
                statement.executeQuery("SELECT COUNT(*) FROM state_heartbeat");
                throw new AssertionError("a connection to the closed database answered");
            } catch (SQLException e) {
                assertThat(e.getErrorCode()).isEqualTo(90098);
            }
            try {
                connection.close();
            } catch (SQLException evicted) {
                // expected
            }
        }
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo(1);

        // H2 removes a database from its registry by name when its last session closes, even when a newer database
        // opened that file meanwhile; had a connection opened the file while the old ones were open, the newer one
        // would now be unregistered and every new connection would fail with 90020. Sixteen new ones at once:
        pool().getHikariPoolMXBean().softEvictConnections();
        ExecutorService borrowers = Executors.newFixedThreadPool(16);
        try {
            List<Future<Long>> counts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                counts.add(borrowers.submit(() -> {
                    try (Connection connection = store.dataSource().getConnection()) {
                        Thread.sleep(50); // hold it, so the pool has to open all sixteen
                        try (Statement statement = connection.createStatement();
                             ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM state_heartbeat")) {
                            rows.next();
                            return rows.getLong(1);
                        }
                    }
                }));
            }
            for (Future<Long> count : counts) {
                assertThat(count.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            }
        } finally {
            borrowers.shutdownNow();
        }
        assertThat(store.storageProblem()).isEmpty();
    }

    @Test
    void healthNamesTheProblemWhileTheDatabaseCannotBeOpenedAndClearsOnceItCan() throws Exception {
        String password = "pw-" + UUID.randomUUID();
        start(password);
        assertThat(store.storageProblem()).isEmpty();

        AutoCloseable lock = failTheDatabaseAndHoldItsFile();
        List<String> problems = new ArrayList<>();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> {
                Optional<String> problem = store.storageProblem();
                problem.ifPresent(problems::add);
                return problem.filter(text -> text.contains("Database may be already in use")).isPresent();
            });
            assertThat(store.isHealthy()).isFalse();
        } finally {
            lock.close();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> store.storageProblem().isEmpty());

        assertThat(problems).allSatisfy(problem -> assertThat(problem).startsWith("the state database").doesNotContain(password));
        assertThat(store.recoveries()).isPositive();
        assertThat(store.lastFatal()).hasValueSatisfying(failure -> assertThat(failure.description()).contains("90108"));
        assertThat(count()).isEqualTo(1);
    }

    /**
     * Ends the database with an out-of-memory error and takes its file's lock once H2 lets go of it. The pool may open
     * the file again first (H2 marks the failed sessions closed, so nothing holds the pool back): then the database is
     * failed again, a few times at most.
     */
    private AutoCloseable failTheDatabaseAndHoldItsFile() throws Exception {
        IllegalStateException reopened = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try (Connection failing = store.dataSource().getConnection()) {
                H2Failures.outOfMemoryThrough(failing);
                return H2Failures.lockDatabaseFile(dataDir, Duration.ofSeconds(2));
            } catch (IllegalStateException e) {
                reopened = e;
            }
        }
        throw new AssertionError("the pool opened the database file again each time before the test could lock it", reopened);
    }

    @Test
    void fatalErrorsAreTheOnesThatEndADatabaseOrConnection() {
        assertThat(StoreFailures.isFatal(new SQLNonTransientConnectionException("The database has been closed", "90098", 90098))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("Database is already closed", "90121", 90121))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("Out of memory.", "90108", 90108))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("General error: \"org.h2.mvstore.MVStoreException: "
                + "java.lang.OutOfMemoryError: Java heap space [2.3.232/3]\"", "HY000", 50000))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("An I/O error occurred while sending to the backend.", "08006"))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("terminating connection due to administrator command", "57P01"))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("Connection to 127.0.0.1:5432 refused.", "08001"))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("the database system is shutting down", "57P03"))).isTrue();

        assertThat(StoreFailures.isFatal(new SQLIntegrityConstraintViolationException("Unique index violation", "23505", 23505))).isFalse();
        assertThat(StoreFailures.isFatal(new SQLSyntaxErrorException("Table not found", "42S02", 42102))).isFalse();
        assertThat(StoreFailures.isFatal(new SQLException("General error: an unexpected case", "HY000", 50000))).isFalse();
        assertThat(StoreFailures.isFatal(new SQLException("Wrong user name or password", "28000", 28000))).isFalse();
    }

    @Test
    void unavailableMeansWorthTryingAgainLater() {
        assertThat(StoreFailures.isUnavailable(new IllegalStateException("the identity store could not be read",
                new SQLNonTransientConnectionException("closed", "90098", 90098)))).isTrue();
        assertThat(StoreFailures.isUnavailable(new RuntimeException(new SQLTransientConnectionException(
                "state-store - Connection is not available, request timed out after 3000ms")))).isTrue();
        assertThat(StoreFailures.isUnavailable(new SQLTimeoutException("Timeout trying to lock table", "HYT00", 50200))).isTrue();
        assertThat(StoreFailures.isUnavailable(new SQLException("Deadlock detected", "40001", 40001))).isTrue();
        assertThat(StoreFailures.isUnavailable(new StateStore.NotStarted())).isTrue();
        // PostgreSQL raises these as plain SQLExceptions: only the SQLState says they pass.
        assertThat(StoreFailures.isUnavailable(new SQLException("canceling statement due to user request", "57014"))).isTrue();
        assertThat(StoreFailures.isUnavailable(new SQLException("could not obtain lock on row", "55P03"))).isTrue();
        assertThat(StoreFailures.isUnavailable(new SQLException("deadlock detected", "40P01"))).isTrue();
        assertThat(StoreFailures.isUnavailable(new SQLException("sorry, too many clients already", "53300"))).isTrue();
        assertThat(StoreFailures.isFatal(new SQLException("canceling statement due to user request", "57014"))).isFalse();

        assertThat(StoreFailures.isUnavailable(new IllegalStateException("bad",
                new SQLIntegrityConstraintViolationException("Unique index violation", "23505", 23505)))).isFalse();
        assertThat(StoreFailures.isUnavailable(new IllegalArgumentException("not a store failure"))).isFalse();
        assertThat(StoreFailures.isUnavailable(new SQLException("duplicate key value violates unique constraint", "23505"))).isFalse();
    }

    @Test
    void descriptionsLeaveOutStatementsAndSecrets() {
        SQLException withStatement = new SQLException("Unique index or primary key violation: PUBLIC.PK ON PUBLIC.PERSON(ID) VALUES "
                + "( /* 1 */ 'ann@example.com' ); SQL statement:\nINSERT INTO person VALUES ('ann@example.com') [23505-232]", "23505", 23505);
        assertThat(StoreFailures.describe(new IllegalStateException("wrapped", withStatement)))
                .startsWith("SQLState 23505: Unique index").doesNotContain("SQL statement").doesNotContain("INSERT");

        SQLException connect = new SQLException("could not connect to jdbc:postgresql://db/bridge?user=bridge&password=hunter2", "08001");
        assertThat(StoreFailures.describe(connect)).contains("password=***").doesNotContain("hunter2");

        SQLException timeout = new SQLTransientConnectionException("state-store - Connection is not available", "90020",
                new SQLException("Database may be already in use: \"/data/state/bridge.mv.db\"", "90020", 90020));
        assertThat(StoreFailures.describe(timeout)).isEqualTo("SQLState 90020: state-store - Connection is not available "
                + "(because SQLState 90020: Database may be already in use: \"/data/state/bridge.mv.db\")");
    }

    @Test
    void theEmbeddedDatabaseCachesAThirtySecondOfTheHeap() {
        assertThat(StateStore.cacheSizeKb(256L << 20)).isEqualTo(8 * 1024);
        assertThat(StateStore.cacheSizeKb(1L << 30)).isEqualTo(32 * 1024);
        assertThat(StateStore.cacheSizeKb(64L << 20)).as("at least 4 MB").isEqualTo(4 * 1024);
        assertThat(StateStore.cacheSizeKb(16L << 30)).as("at most 64 MB").isEqualTo(64 * 1024);
        assertThat(StateStore.embeddedUrl(dataDir, 256L << 20)).contains(";DB_CLOSE_DELAY=0;").endsWith(";CACHE_SIZE=8192");
    }
}
