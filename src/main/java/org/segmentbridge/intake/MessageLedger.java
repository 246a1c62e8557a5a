package org.segmentbridge.intake;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

import org.segmentbridge.state.StateDialect;
import org.segmentbridge.state.StateStore;

/**
 * The messageIds the intake has stored within the dedupe window. Claiming an id inserts it inside the caller's
 * transaction: a concurrent request with the same id waits on the row and then sees it as taken, so two copies of
 * one event sent at once are still stored once.
 *
 * <p>The claim is the one statement of the state store that differs by database. A duplicate id must not fail a
 * statement of the caller's transaction on PostgreSQL: it aborts the whole transaction there, so every resent event
 * would be answered 503, for ever. PostgreSQL claims with {@code INSERT ... ON CONFLICT}, one statement that inserts,
 * renews an expired id, or leaves a live one alone. H2 reads {@code ON CONFLICT} only in its PostgreSQL mode, and its
 * {@code MERGE} fails on a concurrent insert of the same id; but a failed statement leaves an H2 transaction usable,
 * so H2 tries the insert and, when the id is taken, renews it if it has expired.
 */
final class MessageLedger {

    /** SQLSTATE for a unique-key violation. */
    private static final String DUPLICATE_KEY = "23505";

    private final StateStore stateStore;
    private final Duration window;

    MessageLedger(StateStore stateStore, Duration window) {
        this.stateStore = stateStore;
        this.window = window;
    }

    /** @return true if the id was free (or seen only before the window) and is now taken by this transaction */
    boolean claim(Connection transaction, String messageId, Instant now) throws SQLException {
        return stateStore.dialect() == StateDialect.POSTGRESQL
                ? claimInOneStatement(transaction, messageId, now)
                : claimByInsertThenRenew(transaction, messageId, now);
    }

    /** PostgreSQL: the row is inserted, or renewed when it expired; a live one is left alone and counts 0 rows. */
    private boolean claimInOneStatement(Connection transaction, String messageId, Instant now) throws SQLException {
        try (PreparedStatement claim = transaction.prepareStatement(
                "INSERT INTO received_message (message_id, received_at) VALUES (?, ?)"
                        + " ON CONFLICT (message_id) DO UPDATE SET received_at = EXCLUDED.received_at"
                        + " WHERE received_message.received_at < ?")) {
            claim.setString(1, messageId);
            claim.setTimestamp(2, Timestamp.from(now));
            claim.setTimestamp(3, Timestamp.from(now.minus(window)));
            return claim.executeUpdate() == 1;
        }
    }

    private boolean claimByInsertThenRenew(Connection transaction, String messageId, Instant now) throws SQLException {
        try (PreparedStatement insert = transaction.prepareStatement(
                "INSERT INTO received_message (message_id, received_at) VALUES (?, ?)")) {
            insert.setString(1, messageId);
            insert.setTimestamp(2, Timestamp.from(now));
            insert.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (!DUPLICATE_KEY.equals(e.getSQLState())) {
                throw e;
            }
        }
        try (PreparedStatement renew = transaction.prepareStatement(
                "UPDATE received_message SET received_at = ? WHERE message_id = ? AND received_at < ?")) {
            renew.setTimestamp(1, Timestamp.from(now));
            renew.setString(2, messageId);
            renew.setTimestamp(3, Timestamp.from(now.minus(window)));
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
