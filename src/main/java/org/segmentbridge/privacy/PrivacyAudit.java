package org.segmentbridge.privacy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.segmentbridge.state.StateStore;

/**
 * The erasure audit log: one row per step of each erasure (the bridge's own stores, then each platform's delete
 * call) with its result. It names a person only by the hash of their identifier, so the proof outlives the data.
 */
public final class PrivacyAudit {

    public enum Result {
        /** The step did what it should. */
        DONE,
        /** Nothing to do there: the platform already had no such person, or no route deletes there. */
        SKIPPED,
        /** The platform failed for now; the step will be tried again. */
        RETRYING,
        /** The step gave up; its dead letter holds the request for an operator to replay. */
        FAILED,
        /** The destination runs in dry-run: the request was built and recorded, not sent. */
        RECORDED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public record Entry(long id, Instant at, String requestId, String subjectHash, String platform, String step,
                        String result, String reference) {
    }

    /** What to list: any of the fields may be null. */
    public record Filter(String requestId, String subjectHash) {
    }

    private final StateStore stateStore;

    public PrivacyAudit(StateStore stateStore) {
        this.stateStore = stateStore;
    }

    public void add(String requestId, String subjectHash, String platform, String step, Result result, String reference) {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            add(connection, Instant.now(), requestId, subjectHash, platform, step, result, reference);
        } catch (SQLException e) {
            throw new IllegalStateException("could not write the privacy audit log: " + e.getMessage(), e);
        }
    }

    void add(Connection connection, Instant at, String requestId, String subjectHash, String platform, String step,
             Result result, String reference) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO privacy_audit (at, request_id, subject_hash, platform, step, result, reference) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            insert.setTimestamp(1, Timestamp.from(at));
            insert.setString(2, requestId);
            insert.setString(3, subjectHash);
            insert.setString(4, platform);
            insert.setString(5, step);
            insert.setString(6, result.label());
            insert.setString(7, reference == null ? null : abbreviate(reference, 2000));
            insert.executeUpdate();
        }
    }

    /** Oldest first, so an erasure reads as the story of its steps. */
    public List<Entry> list(Filter filter, int limit) {
        StringBuilder sql = new StringBuilder(
                "SELECT id, at, request_id, subject_hash, platform, step, result, reference FROM privacy_audit WHERE 1 = 1");
        List<String> values = new ArrayList<>();
        if (filter.requestId() != null) {
            sql.append(" AND request_id = ?");
            values.add(filter.requestId());
        }
        if (filter.subjectHash() != null) {
            sql.append(" AND subject_hash = ?");
            values.add(filter.subjectHash());
        }
        sql.append(" ORDER BY id DESC");
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
                query.setString(i + 1, values.get(i));
            }
            query.setMaxRows(limit);
            List<Entry> entries = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    entries.add(new Entry(rows.getLong(1), rows.getTimestamp(2).toInstant(), rows.getString(3), rows.getString(4),
                            rows.getString(5), rows.getString(6), rows.getString(7), rows.getString(8)));
                }
            }
            java.util.Collections.reverse(entries);
            return entries;
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the privacy audit log: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
