package org.segmentbridge.processor;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;

/**
 * What the processor marked on a claimed event, for a replay of its position (see {@link MessageLedger}): where the
 * event went ({@value #ROUTE}) and the bridge's marks on it ({@value #BRIDGE_MARKS}: a consent signal, an erasure, a
 * person's previous key). Most events have none, and cost no row.
 *
 * <p>One mark names a person: their previous key ({@link IdentityStore#PREVIOUS_KEY_FIELD}, the email before a
 * rename), a value the identity store no longer holds. A row with it is filed under the hashes of the identifiers of
 * the event's person and of that key, the hashes an erasure tombstones, and the erasure strips the key from that
 * person's rows in its own transaction. The other marks name nobody (a consent signal's channel and state, an
 * erasure's request and subject hash) and stay, so a replay still goes the same way.
 */
public final class MessageMarks implements ErasesPeople {

    /** In a recorded marks object: where the event went, for a replay to send it the same way. */
    static final String ROUTE = "route";
    /** In a recorded marks object: the bridge's marks on the event ({@code context.bridge}). */
    static final String BRIDGE_MARKS = "bridge";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Rows filed under persons: the message's id and its marks, {@code p} the filing and {@code m} the marks. */
    private static final String FILED_MARKS =
            "SELECT m.message_id, m.marks FROM message_mark_person p JOIN message_mark m ON m.message_id = p.message_id";

    private final StateStore stateStore;
    private final Duration window;

    /** @param window the message ledger's dedupe window: marks live as long as the claim they belong to */
    public MessageMarks(StateStore stateStore, Duration window) {
        this.stateStore = stateStore;
        this.window = window;
    }

    /**
     * Records the marks of an id claimed at {@code position}, replacing any of an earlier claim of the same id, filed
     * under {@code personHashes} (none for marks without a previous key).
     */
    void record(Connection transaction, String messageId, String position, Instant at, String marks,
                Set<String> personHashes) throws SQLException {
        forgetPersonsOf(transaction, Set.of(messageId));
        try (PreparedStatement delete = transaction.prepareStatement("DELETE FROM message_mark WHERE message_id = ?")) {
            delete.setString(1, messageId);
            delete.executeUpdate();
        }
        try (PreparedStatement insert = transaction.prepareStatement(
                "INSERT INTO message_mark (message_id, log_position, marks, recorded_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, messageId);
            insert.setString(2, position);
            insert.setString(3, marks);
            insert.setTimestamp(4, Timestamp.from(at));
            insert.executeUpdate();
        }
        if (personHashes.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = transaction.prepareStatement(
                "INSERT INTO message_mark_person (identifier_hash, message_id) VALUES (?, ?)")) {
            for (String hash : personHashes) {
                insert.setString(1, hash);
                insert.setString(2, messageId);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** The marks recorded for the id's claim at {@code position}, if any: for the same record read again. */
    Optional<String> recorded(Connection transaction, String messageId, String position) throws SQLException {
        try (PreparedStatement query = transaction.prepareStatement(
                "SELECT marks FROM message_mark WHERE message_id = ? AND log_position = ?")) {
            query.setString(1, messageId);
            query.setString(2, position);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
            }
        }
    }

    /** The claimed id's recorded marks: empty when no position claimed it (yet); empty inside when it has none. */
    Optional<Optional<String>> ofClaimed(String messageId) throws SQLException {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT m.marks FROM received_message r LEFT JOIN message_mark m"
                             + " ON m.message_id = r.message_id AND m.log_position = r.log_position WHERE r.message_id = ?")) {
            query.setString(1, messageId);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? Optional.of(Optional.ofNullable(row.getString(1))) : Optional.empty();
            }
        }
    }

    /** Forgets marks older than the window, with their claims; returns how many. */
    int purgeExpired(Instant now) throws SQLException {
        Timestamp before = Timestamp.from(now.minus(window));
        return inTransaction(transaction -> {
            try (PreparedStatement persons = transaction.prepareStatement(
                    "DELETE FROM message_mark_person WHERE message_id IN"
                            + " (SELECT message_id FROM message_mark WHERE recorded_at < ?)");
                 PreparedStatement marks = transaction.prepareStatement("DELETE FROM message_mark WHERE recorded_at < ?")) {
                persons.setTimestamp(1, before);
                persons.executeUpdate();
                marks.setTimestamp(1, before);
                return marks.executeUpdate();
            }
        });
    }

    /** Strips the previous key from every row filed under the person's identifiers. */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        Map<String, String> marksAbout = new LinkedHashMap<>();
        try (PreparedStatement query = transaction.prepareStatement(FILED_MARKS + " WHERE p.identifier_hash = ?")) {
            for (String hash : Erasures.identifierHashes(person)) {
                query.setString(1, hash);
                collect(query, marksAbout);
            }
        }
        stripPreviousKeys(transaction, marksAbout);
        return "message marks: " + marksAbout.size();
    }

    /**
     * Strips the previous keys still filed under a tombstoned identifier; returns how many rows. With several bridges
     * on one database, a bridge may record a person's previous key while another bridge's erasure of that person
     * runs: the erasure cannot see a row not yet committed. The tombstones (the erasures' own table) find them later.
     */
    int stripTombstoned() throws SQLException {
        return inTransaction(transaction -> {
            Map<String, String> marksAbout = new LinkedHashMap<>();
            try (PreparedStatement query = transaction.prepareStatement(
                    FILED_MARKS + " JOIN privacy_tombstone t ON t.identifier_hash = p.identifier_hash")) {
                collect(query, marksAbout);
            }
            stripPreviousKeys(transaction, marksAbout);
            return marksAbout.size();
        });
    }

    /** Work on the state database that commits whole or not at all. */
    private interface Work {
        int in(Connection transaction) throws SQLException;
    }

    private int inTransaction(Work work) throws SQLException {
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            try {
                int done = work.in(transaction);
                transaction.commit();
                return done;
            } catch (SQLException | RuntimeException e) {
                transaction.rollback();
                throw e;
            }
        }
    }

    private static void collect(PreparedStatement query, Map<String, String> marksById) throws SQLException {
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                marksById.put(rows.getString(1), rows.getString(2));
            }
        }
    }

    /** Rewrites each row's marks without the previous key, and forgets whom the rows were filed under. */
    private static void stripPreviousKeys(Connection transaction, Map<String, String> marksAbout) throws SQLException {
        try (PreparedStatement update = transaction.prepareStatement("UPDATE message_mark SET marks = ? WHERE message_id = ?")) {
            for (Map.Entry<String, String> each : marksAbout.entrySet()) {
                update.setString(1, withoutPreviousKey(each.getValue()));
                update.setString(2, each.getKey());
                update.executeUpdate();
            }
        }
        forgetPersonsOf(transaction, marksAbout.keySet());
    }

    private static void forgetPersonsOf(Connection transaction, Set<String> messageIds) throws SQLException {
        try (PreparedStatement delete = transaction.prepareStatement("DELETE FROM message_mark_person WHERE message_id = ?")) {
            for (String messageId : messageIds) {
                delete.setString(1, messageId);
                delete.executeUpdate();
            }
        }
    }

    private static String withoutPreviousKey(String marks) {
        try {
            ObjectNode recorded = (ObjectNode) JSON.readTree(marks);
            if (recorded.get(BRIDGE_MARKS) instanceof ObjectNode bridgeMarks) {
                bridgeMarks.remove(IdentityStore.PREVIOUS_KEY_FIELD);
                if (bridgeMarks.isEmpty()) {
                    recorded.remove(BRIDGE_MARKS);
                }
            }
            return recorded.toString();
        } catch (IOException | ClassCastException e) {
            throw new IllegalStateException("recorded marks are not a JSON object: " + e.getMessage(), e);
        }
    }
}
