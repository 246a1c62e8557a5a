package org.segmentbridge.intake;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

import org.segmentbridge.state.StateStore;

/**
 * The messageIds the intake has stored within the dedupe window. Claiming an id inserts it inside the caller's
 * transaction: a concurrent request with the same id waits on the row and then sees it as taken, so two copies of
 * one event sent at once are still stored once.
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
