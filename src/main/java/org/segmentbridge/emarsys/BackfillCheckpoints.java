package org.segmentbridge.emarsys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

import org.segmentbridge.state.StateStore;

/** How far each backfill job has durably queued what it read (table {@code backfill_checkpoint}). */
final class BackfillCheckpoints {

    private final StateStore stateStore;

    BackfillCheckpoints(StateStore stateStore) {
        this.stateStore = stateStore;
    }

    Optional<Instant> doneUntil(String job) throws SQLException {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT done_until FROM backfill_checkpoint WHERE job = ?")) {
            query.setString(1, job);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(rows.getTimestamp(1).toInstant()) : Optional.empty();
            }
        }
    }

    void save(String job, Instant doneUntil, Instant now) throws SQLException {
        // Update, else insert: plain SQL, so the state store may be any database.
        try (Connection connection = stateStore.dataSource().getConnection()) {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE backfill_checkpoint SET done_until = ?, updated_at = ? WHERE job = ?")) {
                update.setTimestamp(1, Timestamp.from(doneUntil));
                update.setTimestamp(2, Timestamp.from(now));
                update.setString(3, job);
                if (update.executeUpdate() > 0) {
                    return;
                }
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO backfill_checkpoint (job, done_until, updated_at) VALUES (?, ?, ?)")) {
                insert.setString(1, job);
                insert.setTimestamp(2, Timestamp.from(doneUntil));
                insert.setTimestamp(3, Timestamp.from(now));
                insert.executeUpdate();
            }
        }
    }
}
