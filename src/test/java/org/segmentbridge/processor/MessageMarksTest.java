package org.segmentbridge.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * The processor's marks on PostgreSQL and H2: a replay reads them at its claim's position only, recording an id again
 * replaces them, an erasure strips a previous key from its person's marks (found by the old key or by the person's
 * other identifiers) and nothing else, the tombstones find what an erasure at another bridge could not see yet, the
 * purge takes marks past the window with what they were filed under, and
 * marks the ledger held before they had a table of their own (migration V15) still replay.
 */
class MessageMarksTest {

    private static final Duration WINDOW = Duration.ofHours(24);
    private static final Instant NOW = Instant.parse("2026-12-04T22:00:00Z");
    private static final String CONSENT = "\"consent\":{\"channel\":\"email\",\"state\":\"unsubscribed\",\"origin\":\"segment\",\"changed\":true}";
    private static final String RENAMED = "{\"route\":\"ALL\",\"bridge\":{\"previousKey\":\"old@example.com\"," + CONSENT + "}}";
    /** {@link #RENAMED} once its previous key is stripped: the route and the consent stay. */
    private static final String RENAMED_WITHOUT_KEY = "{\"route\":\"ALL\",\"bridge\":{" + CONSENT + "}}";
    private static final String OTHER_RENAMED = "{\"route\":\"ALL\",\"bridge\":{\"previousKey\":\"kept@example.com\"}}";
    private static final String CONSENT_ONLY = "{\"route\":\"NONE\",\"bridge\":{" + CONSENT + "}}";

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aReplayReadsTheMarksOfItsOwnPositionAndRecordingAgainReplacesThem(String engine) throws Exception {
        onFreshDatabase(engine, (store, marks) -> {
            try (Connection connection = store.dataSource().getConnection()) {
                marks.record(connection, "m-1", "r1:0", NOW, RENAMED, personOf("user-1", "old@example.com"));

                assertThat(marks.recorded(connection, "m-1", "r1:0")).contains(RENAMED);
                assertThat(marks.recorded(connection, "m-1", "r2:0")).as("another claim's marks").isEmpty();

                marks.record(connection, "m-1", "r2:0", NOW, CONSENT_ONLY, Set.of());

                assertThat(marks.recorded(connection, "m-1", "r2:0")).contains(CONSENT_ONLY);
                assertThat(marks.recorded(connection, "m-1", "r1:0")).isEmpty();
            }
            assertThat(filedUnder(store, "m-1")).as("the old claim's persons go with it").isEmpty();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void anErasureByThePersonsUserIdStripsThePreviousKeyAndKeepsTheRest(String engine) throws Exception {
        onFreshDatabase(engine, (store, marks) -> {
            recordThree(store, marks);

            String removed = erase(store, marks, new PersonKeys(Set.of("person-1"), Set.of("new@example.com"),
                    Set.of("user-1"), Set.of()));

            assertThat(removed).isEqualTo("message marks: 1");
            assertThat(marksOf(store, "renamed")).isEqualTo(RENAMED_WITHOUT_KEY);
            assertThat(filedUnder(store, "renamed")).isEmpty();
            assertThat(marksOf(store, "other-renamed")).isEqualTo(OTHER_RENAMED);
            assertThat(filedUnder(store, "other-renamed")).hasSize(2);
            assertThat(marksOf(store, "consent-only")).isEqualTo(CONSENT_ONLY);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void anErasureNamingTheOldKeyFindsTheMarksThatHoldIt(String engine) throws Exception {
        onFreshDatabase(engine, (store, marks) -> {
            recordThree(store, marks);

            String removed = erase(store, marks, new PersonKeys(Set.of(), Set.of("Old@Example.com"), Set.of(), Set.of()));

            assertThat(removed).isEqualTo("message marks: 1");
            assertThat(marksOf(store, "renamed")).doesNotContain("old@example.com");
            assertThat(marksOf(store, "other-renamed")).isEqualTo(OTHER_RENAMED);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aPreviousKeyRecordedWhileAnotherBridgeErasedItsPersonIsStrippedByTheTombstones(String engine) throws Exception {
        onFreshDatabase(engine, (store, marks) -> {
            recordThree(store, marks);
            // Another bridge's erasure of user-1 committed its tombstones without seeing the row, not yet committed then.
            try (Connection connection = store.dataSource().getConnection();
                 PreparedStatement tombstone = connection.prepareStatement(
                         "INSERT INTO privacy_tombstone (identifier_hash, request_id, erased_at, seq) VALUES (?, 'erase-1', ?, 1)")) {
                tombstone.setString(1, Erasures.hash("user", "user-1"));
                tombstone.setTimestamp(2, Timestamp.from(NOW));
                tombstone.executeUpdate();
            }

            assertThat(marks.stripTombstoned()).isEqualTo(1);

            assertThat(marksOf(store, "renamed")).isEqualTo(RENAMED_WITHOUT_KEY);
            assertThat(filedUnder(store, "renamed")).isEmpty();
            assertThat(marksOf(store, "other-renamed")).isEqualTo(OTHER_RENAMED);
            assertThat(marks.stripTombstoned()).as("nothing is left to strip").isZero();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void thePurgeTakesMarksPastTheWindowWithWhatTheyWereFiledUnder(String engine) throws Exception {
        onFreshDatabase(engine, (store, marks) -> {
            try (Connection connection = store.dataSource().getConnection()) {
                marks.record(connection, "old", "r1:0", NOW.minus(WINDOW).minusSeconds(1), RENAMED,
                        personOf("user-1", "old@example.com"));
                marks.record(connection, "recent", "r1:1", NOW.minusSeconds(60), OTHER_RENAMED,
                        personOf("user-2", "kept@example.com"));
            }

            assertThat(marks.purgeExpired(NOW)).isEqualTo(1);

            assertThat(marksOf(store, "old")).isNull();
            assertThat(filedUnder(store, "old")).isEmpty();
            assertThat(marksOf(store, "recent")).isEqualTo(OTHER_RENAMED);
            assertThat(filedUnder(store, "recent")).hasSize(2);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void marksTheLedgerHeldBeforeTheirOwnTableKeepTheirReplay(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            Map<String, String> settings = database.bridgeSettings();
            String url = settings.get("bridge.state.jdbc-url");
            boolean postgresql = engine.equals("postgresql");
            // The schema as the release before V15 left it (V14 is PostgreSQL's only).
            Flyway.configure().dataSource(url, settings.get("bridge.state.username"), settings.get("bridge.state.password"))
                    .locations(postgresql ? new String[] {"classpath:db/migration", "classpath:db/postgresql"}
                            : new String[] {"classpath:db/migration"})
                    .target(postgresql ? "14" : "13").load().migrate();
            try (Connection connection = DriverManager.getConnection(url, settings.get("bridge.state.username"),
                    settings.get("bridge.state.password"));
                 PreparedStatement insert = connection.prepareStatement(
                         "INSERT INTO received_message (message_id, received_at, log_position, marks) VALUES (?, ?, ?, ?)")) {
                for (String[] row : new String[][] {{"marked", "r1:0", CONSENT_ONLY}, {"unmarked", "r1:1", null}}) {
                    insert.setString(1, row[0]);
                    insert.setTimestamp(2, Timestamp.from(NOW));
                    insert.setString(3, row[1]);
                    insert.setString(4, row[2]);
                    insert.executeUpdate();
                }
            }

            StateStore store = database.newStore();
            MessageMarks marks = new MessageMarks(store, WINDOW);

            assertThat(marks.ofClaimed("marked")).contains(Optional.of(CONSENT_ONLY));
            assertThat(marks.ofClaimed("unmarked")).contains(Optional.empty());
            try (Connection connection = store.dataSource().getConnection()) {
                assertThat(marks.recorded(connection, "marked", "r1:0")).contains(CONSENT_ONLY);
            }
        }
    }

    /** A renamed person's marks, another renamed person's, and consent marks that name nobody. */
    private static void recordThree(StateStore store, MessageMarks marks) throws SQLException {
        try (Connection connection = store.dataSource().getConnection()) {
            marks.record(connection, "renamed", "r1:0", NOW, RENAMED, personOf("user-1", "old@example.com"));
            marks.record(connection, "other-renamed", "r1:1", NOW, OTHER_RENAMED, personOf("user-2", "kept@example.com"));
            marks.record(connection, "consent-only", "r1:2", NOW, CONSENT_ONLY, Set.of());
        }
    }

    /** What the processor files a renamed person's marks under: their userId and their previous key. */
    private static Set<String> personOf(String userId, String previousKey) {
        return Set.of(Erasures.hash("user", userId), Erasures.hash("key", previousKey));
    }

    private static String erase(StateStore store, MessageMarks marks, PersonKeys person) throws SQLException {
        try (Connection transaction = store.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            String removed = marks.erase(transaction, person);
            transaction.commit();
            return removed;
        }
    }

    private interface MarksCase {
        void run(StateStore store, MessageMarks marks) throws Exception;
    }

    private static void onFreshDatabase(String engine, MarksCase body) throws Exception {
        SharedStateDatabase.onFreshStore(engine, store -> body.run(store, new MessageMarks(store, WINDOW)));
    }

    private static String marksOf(StateStore store, String messageId) throws SQLException {
        List<String> found = strings(store, "SELECT marks FROM message_mark WHERE message_id = ?", messageId);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<String> filedUnder(StateStore store, String messageId) throws SQLException {
        return strings(store, "SELECT identifier_hash FROM message_mark_person WHERE message_id = ?", messageId);
    }

    private static List<String> strings(StateStore store, String sql, String parameter) throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, parameter);
            List<String> values = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        }
    }
}
