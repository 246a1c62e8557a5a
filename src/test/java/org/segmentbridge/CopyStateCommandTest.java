package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.BridgeProcess.Finished;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/**
 * {@code copy-state} as a user runs it, in a process of its own (the refusals that need none run in this JVM): an
 * embedded bridge's state (ledger, identity, consent, erasure tombstones and audit, and rows of every kind of column)
 * moves into a new PostgreSQL database row for row, and a bridge started there still drops the erased person's events
 * and a resent messageId. A database that holds state already, a target that is not PostgreSQL, a folder with no state
 * and a folder a bridge holds are refused, naming the problem and never the password.
 */
class CopyStateCommandTest {

    private static final Path PROJECT = Path.of("").toAbsolutePath();
    private static final String WRITE_KEY = "copy-state-key";
    private static final String ADMIN = "copy-state-admin";
    private static final Duration WAIT = Duration.ofSeconds(15);

    /** A bridge on the embedded H2 state and the embedded broker, whatever pass of the suite runs. */
    private static Map<String, String> embeddedBridge(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "bridge.state.jdbc-url", "",
                "bridge.state.username", "bridge",
                "bridge.state.password", "",
                "bridge.event-log", "embedded",
                "bridge.write-keys", WRITE_KEY,
                "bridge.admin-token", ADMIN,
                "bridge.destinations", "segment"));
        settings.putAll(more);
        return settings;
    }

    private static Map<String, String> copyEnvironment(Path dataDir, Map<String, String> state) {
        Map<String, String> environment = new HashMap<>(state);
        environment.put("BRIDGE_DATA_DIR", dataDir.toString());
        return environment;
    }

    private static Finished copyState(Map<String, String> environment) throws IOException {
        return BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("copy-state"), PROJECT, environment);
    }

    @Test
    void theEmbeddedStateMovesToAnEmptyPostgresqlDatabaseAndStaysInForceThere() throws Exception {
        PostgresServer postgres = PostgresServer.shared();
        Path dataDir = TestFolders.create("copy-state-");
        String erasureRequest;
        try (RunningBridge embedded = RunningBridge.start(dataDir, embeddedBridge(Map.of()))) {
            send(embedded, identify("m-identify-kept", "u-kept", "kept@example.com"),
                    track("m-track-kept", "u-kept", "Order Completed"),
                    identify("m-identify-erased", "u-erased", "erased@example.com"),
                    identify("m-identify-later", "u-later", "later@example.com"));
            embedded.awaitProcessed();
            HttpResponse<String> optOut = admin(embedded, "/admin/privacy/consent", "{\"email\":\"optout@example.com\",\"state\":\"unsubscribed\"}");
            assertThat(optOut.statusCode()).as(optOut.body()).isEqualTo(202);
            HttpResponse<String> erasure = admin(embedded, "/admin/privacy/delete", "{\"userId\":\"u-erased\"}");
            assertThat(erasure.statusCode()).as(erasure.body()).isEqualTo(202);
            erasureRequest = RunningBridge.json(erasure).path("request").asText();
            await().atMost(WAIT).until(() -> audit(embedded, "request=" + erasureRequest) > 0);
            embedded.awaitProcessed();

            Finished whileRunning = copyState(copyEnvironment(dataDir, postgres.environment("never_created")));

            assertThat(whileRunning.exitCode()).as(whileRunning.output()).isEqualTo(1);
            assertThat(whileRunning.output()).contains("copy-state: The data folder " + dataDir.toAbsolutePath()
                    + " is in use by a running bridge", "stop the bridge (after draining its logs");
        }
        fillEveryKindOfColumn(dataDir);
        Map<String, List<String>> before;
        try (Connection source = h2(dataDir)) {
            before = contents(source);
        }

        String database = postgres.createDatabase("copy_state_target");
        Finished copy = copyState(copyEnvironment(dataDir, postgres.environment(database)));

        assertThat(copy.exitCode()).as(copy.output()).isZero();
        assertThat(copy.output()).contains(
                "copy-state: from " + StateStore.embeddedFile(dataDir.toAbsolutePath()) + " (H2) into " + postgres.jdbcUrl(database),
                "  privacy_tombstone: ",
                "  consent_state: 1 row\n",
                "  pending_event: 2 rows (its ids continue at 4)\n",
                "  dead_letter: 1 row\n",
                "  threshold_crossing: 2 rows\n",
                "  state_heartbeat: 1 row\n",
                "  privacy_tombstone_counter: 1 row\n",
                "  left empty, cluster mode's own: pacer_pause, pacer_slot, pacer_window, qrtz_",
                "copy-state done: ")
                .doesNotContain(PostgresServer.PASSWORD);
        Map<String, List<String>> after;
        try (Connection target = DriverManager.getConnection(postgres.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD)) {
            after = contents(target);
            assertThat(after.keySet()).containsAll(before.keySet());
            for (String table : before.keySet()) {
                assertThat(after.get(table)).as(table).hasSameSizeAs(before.get(table)).containsExactlyInAnyOrderElementsOf(before.get(table));
            }
            assertThat(before.get("privacy_tombstone")).as("the erasure left tombstones").isNotEmpty();
            assertThat(before.get("person_identifier")).as("identities").isNotEmpty();
            // The next pending event's id is past what H2 had handed out (3, deleted), not only past the rows copied.
            target.setAutoCommit(false);
            try (Statement statement = target.createStatement();
                 ResultSet id = statement.executeQuery("INSERT INTO pending_event (destination, person_id, event, parked_at, expires_at)"
                         + " VALUES ('segment', 'p', '{}', now(), now()) RETURNING id")) {
                id.next();
                assertThat(id.getLong(1)).isEqualTo(4);
            } finally {
                target.rollback();
            }
        }

        Map<String, String> sameAgain = new HashMap<>(postgres.settings(database));
        sameAgain.put("bridge.data-dir", dataDir.toString());
        Result again = copyStateHere(sameAgain);

        assertThat(again.exit()).as(again.output()).isEqualTo(1);
        assertThat(again.output()).contains("copy-state: the PostgreSQL database already holds state: tables ", "received_message",
                "never merges", "nothing was copied");

        // A bridge on the PostgreSQL database (a new data folder: cluster mode keeps nothing of the old one).
        Map<String, String> onPostgres = embeddedBridge(postgres.settings(database));
        try (RunningBridge moved = RunningBridge.start(TestFolders.create("copy-state-moved-"), onPostgres)) {
            send(moved, track("m-track-kept", "u-kept", "Order Completed"),
                    track("m-late-erased", "u-erased", "Clicked"),
                    identify("m-late-erased-identify", "u-erased", "erased@example.com"),
                    track("m-after-the-move", "u-kept", "Order Completed"));
            moved.awaitProcessed();

            assertThat(moved.queuedWhere("segment", "messageId", "m-after-the-move")).as("a new event goes through").hasSize(1);
            assertThat(moved.queuedWhere("segment", "messageId", "m-track-kept")).as("a resent messageId is still dropped").isEmpty();
            assertThat(moved.queuedWhere("segment", "messageId", "m-late-erased")).as("the erased person stays erased").isEmpty();
            assertThat(moved.queuedWhere("segment", "messageId", "m-late-erased-identify")).isEmpty();
            assertThat(RunningBridge.json(moved.get("/admin/privacy/consent?email=optout@example.com", "Authorization", "Bearer " + ADMIN))
                    .path("state").asText()).isEqualTo("unsubscribed");
            assertThat(audit(moved, "request=" + erasureRequest)).as("the erasure's audit").isPositive();
            HttpResponse<String> later = admin(moved, "/admin/privacy/delete", "{\"userId\":\"u-later\"}");
            assertThat(RunningBridge.json(later).path("subject").asText()).as("the identity store knows u-later's email")
                    .isEqualTo(Erasures.hash("key", "later@example.com"));
            assertThat(moved.deadLetters("segment", null, ADMIN)).as("the dead letter").hasSize(1);
        }
    }

    @Test
    void aDatabaseHoldingStateIsRefusedNamingTheTableAndNothingIsCopied() throws Exception {
        PostgresServer postgres = PostgresServer.shared();
        Path dataDir = embeddedStateWithOneMessage();
        String database = postgres.createDatabase("copy_state_used");
        StateStore used = new StateStore(postgres.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD, dataDir);
        used.start();
        try (Connection connection = used.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO job_lease (job, holder, expires_at) VALUES ('emarsys-opt-in-feed', 'bridge-a', now())");
        } finally {
            used.stop();
        }

        Map<String, String> settings = new HashMap<>(postgres.settings(database));
        settings.put("bridge.data-dir", dataDir.toString());
        Result copy = copyStateHere(settings);

        assertThat(copy.exit()).as(copy.output()).isEqualTo(1);
        assertThat(copy.output()).contains("copy-state: the PostgreSQL database already holds state: table job_lease has rows."
                + " copy-state fills an empty database only and never merges").doesNotContain(PostgresServer.PASSWORD);
        try (Connection target = DriverManager.getConnection(postgres.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD);
             Statement statement = target.createStatement();
             ResultSet count = statement.executeQuery("SELECT COUNT(*) FROM received_message")) {
            count.next();
            assertThat(count.getLong(1)).isZero();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                              | Setting bridge.state.jdbc-url (BRIDGE_STATE_JDBC_URL) is empty, so the state would stay in the embedded H2 file",
            "jdbc:h2:file:/tmp/elsewhere     | Setting bridge.state.jdbc-url (BRIDGE_STATE_JDBC_URL) names an H2 database",
            "jdbc:mysql://db:3306/bridge     | Setting bridge.state.jdbc-url: jdbc:mysql: is not supported"})
    void aTargetThatIsNotPostgresqlIsRefusedNamingTheSetting(String url, String problem) throws Exception {
        Path dataDir = embeddedStateWithOneMessage();

        Result copy = copyStateHere(Map.of("bridge.data-dir", dataDir.toString(), "bridge.state.jdbc-url", url,
                "bridge.state.password", "never-shown-secret"));

        assertThat(copy.exit()).as(copy.output()).isEqualTo(1);
        assertThat(copy.output()).startsWith("copy-state: " + problem).contains("jdbc:postgresql://host:5432/database")
                .doesNotContain("never-shown-secret");
    }

    @Test
    void aWrongPasswordOrAFolderWithoutStateIsNamedAndNoPasswordPrinted() throws Exception {
        PostgresServer postgres = PostgresServer.shared();
        String database = postgres.createDatabase("copy_state_password");
        Map<String, String> wrongPassword = new HashMap<>(postgres.settings(database));
        wrongPassword.put("bridge.state.password", "wrong-secret-password");
        wrongPassword.put("bridge.data-dir", embeddedStateWithOneMessage().toString());

        Result refused = copyStateHere(wrongPassword);

        assertThat(refused.exit()).as(refused.output()).isEqualTo(1);
        assertThat(refused.output()).contains("copy-state failed: the PostgreSQL database " + postgres.jdbcUrl(database)
                + " could not be opened and migrated", "password authentication failed").doesNotContain("wrong-secret-password");

        Path empty = TestFolders.create("copy-state-nothing-");
        Map<String, String> noState = new HashMap<>(postgres.settings(database));
        noState.put("bridge.data-dir", empty.toString());
        Result nothing = copyStateHere(noState);

        assertThat(nothing.exit()).as(nothing.output()).isEqualTo(1);
        assertThat(nothing.output()).startsWith("copy-state: the data folder " + empty.toAbsolutePath() + " holds no embedded state"
                + " database").contains("set bridge.data-dir (BRIDGE_DATA_DIR)");
        assertThat(empty.resolve("state")).as("nothing is created there").doesNotExist();
        assertThat(copyStateHere(Map.of("bridge.data-dir", empty.toString()), "--into", "db").exit())
                .as("it takes no arguments").isEqualTo(2);
    }

    private record Result(int exit, String output) {
    }

    /** The command in this JVM, for refusals that need no process of their own; the test JVM's logging is put back. */
    private static Result copyStateHere(Map<String, String> settings, String... args) {
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                org.slf4j.Logger.ROOT_LOGGER_NAME);
        ch.qos.logback.classic.Level level = root.getLevel();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            int exit = Tools.copyState(List.of(args), new PrintStream(bytes, true, StandardCharsets.UTF_8), settings);
            return new Result(exit, bytes.toString(StandardCharsets.UTF_8));
        } finally {
            root.setLevel(level);
        }
    }

    // ---- state ------------------------------------------------------------------------------------------------------

    /** A data folder whose H2 state was migrated and holds one ledger row, without running a bridge. */
    private static Path embeddedStateWithOneMessage() throws IOException, SQLException {
        Path dataDir = TestFolders.create("copy-state-source-");
        StateStore store = new StateStore(dataDir);
        store.start();
        try (Connection connection = store.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO received_message (message_id, received_at) VALUES ('m-1', CURRENT_TIMESTAMP)");
        } finally {
            store.stop();
        }
        return dataDir;
    }

    /**
     * Rows the bridge above did not make, for the kinds of column the copy must carry over as they are: booleans, nulls,
     * text of a megabyte, and an identity column whose highest id H2 handed out was deleted since.
     */
    private static void fillEveryKindOfColumn(Path dataDir) throws SQLException {
        try (Connection h2 = h2(dataDir); Statement statement = h2.createStatement()) {
            statement.execute("INSERT INTO threshold_crossing (name, person, above, changed_at) VALUES"
                    + " ('crossing:vip', 'kept@example.com', TRUE, TIMESTAMP WITH TIME ZONE '2026-03-01 10:00:00.123456+02:00'),"
                    + " ('crossing:vip', 'other@example.com', FALSE, CURRENT_TIMESTAMP)");
            for (int i = 1; i <= 3; i++) {
                statement.execute("INSERT INTO pending_event (destination, person_id, message_id, event, parked_at, expires_at) VALUES"
                        + " ('segment', 'person-" + i + "', " + (i == 1 ? "NULL" : "'m-pending-" + i + "'") + ", '{\"n\":" + i + "}',"
                        + " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP + INTERVAL '7' DAY)");
            }
            statement.execute("DELETE FROM pending_event WHERE id = 3");
            String bigEvent = "{\"type\":\"track\",\"event\":\"Big\",\"properties\":{\"blob\":\"" + "x".repeat(900_000) + "\"}}";
            try (PreparedStatement letter = h2.prepareStatement("INSERT INTO dead_letter (id, destination, action, message_id, event,"
                    + " item, attempts, status, code, reason, created_at) VALUES (?, 'segment', 'batch', NULL, ?, NULL, 3, 400, NULL, ?,"
                    + " CURRENT_TIMESTAMP)")) {
                letter.setString(1, "00000000-0000-0000-0000-000000000001");
                letter.setString(2, bigEvent);
                letter.setString(3, "refused: \"quoted\", 'apostrophe', ünïcödé ✓");
                letter.executeUpdate();
            }
        }
    }

    private static Connection h2(Path dataDir) throws SQLException {
        return DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("state/bridge"), "bridge", "");
    }

    /**
     * Every row of every table of the connection's schema (Flyway's history aside), by lower-case table name, each row
     * a line of its values in column order, instants as UTC instants, so H2's and PostgreSQL's rows compare equal.
     */
    private static Map<String, List<String>> contents(Connection connection) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT table_name FROM information_schema.tables"
                     + " WHERE table_schema = CURRENT_SCHEMA AND table_type = 'BASE TABLE'")) {
            while (rows.next()) {
                if (!rows.getString(1).equalsIgnoreCase("flyway_schema_history")) {
                    tables.add(rows.getString(1));
                }
            }
        }
        Map<String, List<String>> contents = new TreeMap<>();
        for (String table : tables) {
            List<String> lines = new ArrayList<>();
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT * FROM \"" + table + "\"")) {
                ResultSetMetaData columns = rows.getMetaData();
                List<String> names = new ArrayList<>();
                for (int i = 1; i <= columns.getColumnCount(); i++) {
                    names.add(columns.getColumnName(i).toLowerCase(java.util.Locale.ROOT));
                }
                while (rows.next()) {
                    Map<String, String> line = new TreeMap<>();
                    for (int i = 1; i <= names.size(); i++) {
                        Object value = rows.getObject(i);
                        line.put(names.get(i - 1), value instanceof OffsetDateTime at ? at.toInstant().toString()
                                : value instanceof java.sql.Timestamp at ? at.toInstant().toString() : String.valueOf(value));
                    }
                    lines.add(line.toString());
                }
            }
            contents.put(table.toLowerCase(java.util.Locale.ROOT), lines);
        }
        return contents;
    }

    // ---- HTTP -------------------------------------------------------------------------------------------------------

    private static void send(RunningBridge bridge, String... events) {
        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private static String identify(String messageId, String userId, String email) {
        return "{\"type\":\"identify\",\"messageId\":\"%s\",\"userId\":\"%s\",\"traits\":{\"email\":\"%s\"}}"
                .formatted(messageId, userId, email);
    }

    private static String track(String messageId, String userId, String event) {
        return "{\"type\":\"track\",\"messageId\":\"%s\",\"userId\":\"%s\",\"event\":\"%s\",\"properties\":{}}"
                .formatted(messageId, userId, event);
    }

    private static HttpResponse<String> admin(RunningBridge bridge, String path, String body) {
        return bridge.post(path, body, "Content-Type", "application/json", "Authorization", "Bearer " + ADMIN);
    }

    private static int audit(RunningBridge bridge, String query) {
        return RunningBridge.json(bridge.get("/admin/privacy/audit?" + query, "Authorization", "Bearer " + ADMIN)).path("count").asInt();
    }
}
