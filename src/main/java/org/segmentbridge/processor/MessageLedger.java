package org.segmentbridge.processor;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import org.segmentbridge.state.StateDialect;
import org.segmentbridge.state.StateStore;

/**
 * The messageIds the processor has taken within the dedupe window, each with the intake log position that took it.
 * Claiming an id inserts it inside the processor's transaction: another processor claiming the same id at once waits
 * on the row and then sees it as taken, so two copies of one event are still emitted once.
 *
 * <p>The position is what tells a duplicate from a replay. A copy sent again by its sender sits at another position:
 * a duplicate, dropped. The same record read again, because the bridge stopped after this transaction committed and
 * before the destinations' logs did, sits at the same position: a replay, emitted again with the marks the first pass
 * recorded ({@link MessageMarks}: a consent change, an erasure, a person's previous key), which re-screening could no
 * longer find.
 *
 * <p>The claim is the one statement of the state store that differs by database. A duplicate id must not fail a
 * statement of the caller's transaction on PostgreSQL: it aborts the whole transaction there. PostgreSQL claims with
 * {@code INSERT ... ON CONFLICT}, one statement that inserts, renews an expired id, or leaves a live one alone. H2
 * reads {@code ON CONFLICT} only in its PostgreSQL mode, and its {@code MERGE} fails on a concurrent insert of the same
 * id; but a failed statement leaves an H2 transaction usable, so H2 tries the insert and, when the id is taken, renews
 * it if it has expired.
 */
final class MessageLedger {

    /** SQLSTATE for a unique-key violation. */
    private static final String DUPLICATE_KEY = "23505";

    /** What a claim found. */
    sealed interface Claim {
    }

    /** The id was free (or seen only before the window) and is now taken at this position. */
    record Fresh() implements Claim {
    }

    /** This position took the id before: the record is read again. */
    record Replay() implements Claim {
    }

    /** Another position holds the id within the window. */
    record Duplicate() implements Claim {
    }

    private final StateStore stateStore;
    private final Duration window;

    MessageLedger(StateStore stateStore, Duration window) {
        this.stateStore = stateStore;
        this.window = window;
    }

    Claim claim(Connection transaction, String messageId, String position, Instant now) throws SQLException {
        boolean taken = stateStore.dialect() == StateDialect.POSTGRESQL
                ? claimInOneStatement(transaction, messageId, position, now)
                : claimByInsertThenRenew(transaction, messageId, position, now);
        if (taken) {
            return new Fresh();
        }
        try (PreparedStatement holder = transaction.prepareStatement(
                "SELECT log_position FROM received_message WHERE message_id = ?")) {
            holder.setString(1, messageId);
            try (ResultSet row = holder.executeQuery()) {
                if (row.next() && Objects.equals(row.getString(1), position)) {
                    return new Replay();
                }
            }
        }
        return new Duplicate();
    }

    /** PostgreSQL: the row is inserted, or renewed when it expired; a live one is left alone and counts 0 rows. */
    private boolean claimInOneStatement(Connection transaction, String messageId, String position, Instant now)
            throws SQLException {
        try (PreparedStatement claim = transaction.prepareStatement(
                "INSERT INTO received_message (message_id, received_at, log_position) VALUES (?, ?, ?)"
                        + " ON CONFLICT (message_id) DO UPDATE SET received_at = EXCLUDED.received_at,"
                        + " log_position = EXCLUDED.log_position"
                        + " WHERE received_message.received_at < ?")) {
            claim.setString(1, messageId);
            claim.setTimestamp(2, Timestamp.from(now));
            claim.setString(3, position);
            claim.setTimestamp(4, Timestamp.from(now.minus(window)));
            return claim.executeUpdate() == 1;
        }
    }

    private boolean claimByInsertThenRenew(Connection transaction, String messageId, String position, Instant now)
            throws SQLException {
        try (PreparedStatement insert = transaction.prepareStatement(
                "INSERT INTO received_message (message_id, received_at, log_position) VALUES (?, ?, ?)")) {
            insert.setString(1, messageId);
            insert.setTimestamp(2, Timestamp.from(now));
            insert.setString(3, position);
            insert.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (!DUPLICATE_KEY.equals(e.getSQLState())) {
                throw e;
            }
        }
        try (PreparedStatement renew = transaction.prepareStatement(
                "UPDATE received_message SET received_at = ?, log_position = ?"
                        + " WHERE message_id = ? AND received_at < ?")) {
            renew.setTimestamp(1, Timestamp.from(now));
            renew.setString(2, position);
            renew.setString(3, messageId);
            renew.setTimestamp(4, Timestamp.from(now.minus(window)));
            return renew.executeUpdate() == 1;
        }
    }

    /** Forgets ids older than the window; returns how many. */
    int purgeExpired(Instant now) throws SQLException {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement delete = connection.prepareStatement("DELETE FROM received_message WHERE received_at < ?")) {
            delete.setTimestamp(1, Timestamp.from(now.minus(window)));
            return delete.executeUpdate();
        }
    }
}
