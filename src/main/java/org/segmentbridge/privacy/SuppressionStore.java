package org.segmentbridge.privacy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;

/**
 * Who may be contacted on which channel, as last reported by any side, and the tombstones of erased persons. It lives
 * in the state database beside the identity store. Consent changes are written inside the intake's transaction, so a
 * change is recorded exactly when the events that carry it are queued.
 */
public final class SuppressionStore implements ErasesPeople {

    public enum State {
        SUBSCRIBED, UNSUBSCRIBED;

        public String column() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State of(String column) {
            return valueOf(column.toUpperCase(Locale.ROOT));
        }
    }

    /** A person's consent on one channel: what it is, where it was last changed and when. */
    public record Consent(State state, String origin, Instant changedAt) {
    }

    private final StateStore stateStore;
    /** Tombstones are few and read for every event, so they are held in memory as well. */
    private final Set<String> tombstones = ConcurrentHashMap.newKeySet();
    private volatile boolean tombstonesLoaded;

    public SuppressionStore(StateStore stateStore) {
        this.stateStore = stateStore;
    }

    /** The subject a consent row is kept under: the person's primary key (their email), compared ignoring case. */
    public static String subject(String key) {
        return key.trim().toLowerCase(Locale.ROOT);
    }

    /** The subject of a person whose key is not known: their userId, else their anonymousId, behind its kind. */
    static String subject(String userId, String anonymousId) {
        return userId != null ? "user:" + userId : "anonymous:" + anonymousId;
    }

    public Optional<Consent> current(String subject, String channel) {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            return current(connection, subject, channel);
        } catch (SQLException e) {
            throw new IllegalStateException("the suppression store could not be read: " + e.getMessage(), e);
        }
    }

    Optional<Consent> current(Connection connection, String subject, String channel) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT state, origin, changed_at FROM consent_state WHERE subject = ? AND channel = ?")) {
            query.setString(1, subject);
            query.setString(2, channel);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next()
                        ? Optional.of(new Consent(State.of(rows.getString(1)), rows.getString(2), rows.getTimestamp(3).toInstant()))
                        : Optional.empty();
            }
        }
    }

    /** Plain UPDATE-then-INSERT rather than a dialect's upsert, so another SQL database can hold the store. */
    void record(Connection transaction, String subject, String channel, State state, String origin, Instant at,
                String messageId) throws SQLException {
        try (PreparedStatement update = transaction.prepareStatement(
                "UPDATE consent_state SET state = ?, origin = ?, changed_at = ?, message_id = ? WHERE subject = ? AND channel = ?")) {
            update.setString(1, state.column());
            update.setString(2, origin);
            update.setTimestamp(3, Timestamp.from(at));
            update.setString(4, messageId);
            update.setString(5, subject);
            update.setString(6, channel);
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = transaction.prepareStatement(
                "INSERT INTO consent_state (subject, channel, state, origin, changed_at, message_id) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, subject);
            insert.setString(2, channel);
            insert.setString(3, state.column());
            insert.setString(4, origin);
            insert.setTimestamp(5, Timestamp.from(at));
            insert.setString(6, messageId);
            insert.executeUpdate();
        }
    }

    /** The person's consent rows, under each subject they may be kept by (the tombstones stay). */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        int consent = 0;
        for (String key : person.keys()) {
            consent += forget(transaction, subject(key));
        }
        for (String userId : person.userIds()) {
            consent += forget(transaction, subject(userId, null));
        }
        for (String anonymousId : person.anonymousIds()) {
            consent += forget(transaction, subject(null, anonymousId));
        }
        return "consent records: " + consent;
    }

    private static int forget(Connection transaction, String subject) throws SQLException {
        return ErasesPeople.delete(transaction, "DELETE FROM consent_state WHERE subject = ?", subject);
    }

    // ---- tombstones ---------------------------------------------------------------------------------------------

    /** True when any of these identifier hashes belongs to an erased person. */
    public boolean erased(Collection<String> identifierHashes) {
        loadTombstones();
        if (tombstones.isEmpty()) {
            return false;
        }
        for (String hash : identifierHashes) {
            if (tombstones.contains(hash)) {
                return true;
            }
        }
        return false;
    }

    void tombstone(Connection transaction, Collection<String> identifierHashes, String requestId, Instant at) throws SQLException {
        for (String hash : identifierHashes) {
            try (PreparedStatement exists = transaction.prepareStatement(
                    "SELECT 1 FROM privacy_tombstone WHERE identifier_hash = ?")) {
                exists.setString(1, hash);
                try (ResultSet rows = exists.executeQuery()) {
                    if (rows.next()) {
                        continue;
                    }
                }
            }
            try (PreparedStatement insert = transaction.prepareStatement(
                    "INSERT INTO privacy_tombstone (identifier_hash, request_id, erased_at) VALUES (?, ?, ?)")) {
                insert.setString(1, hash);
                insert.setString(2, requestId);
                insert.setTimestamp(3, Timestamp.from(at));
                insert.executeUpdate();
            }
        }
    }

    /** Called once the transaction that wrote these tombstones has committed. */
    void remember(Collection<String> identifierHashes) {
        tombstones.addAll(identifierHashes);
    }

    /** False while nobody was ever erased: then no event needs its identifiers hashed to be checked. */
    boolean anyErased() {
        loadTombstones();
        return !tombstones.isEmpty();
    }

    private void loadTombstones() {
        if (tombstonesLoaded) {
            return;
        }
        synchronized (tombstones) {
            if (tombstonesLoaded) {
                return;
            }
            try (Connection connection = stateStore.dataSource().getConnection();
                 PreparedStatement query = connection.prepareStatement("SELECT identifier_hash FROM privacy_tombstone");
                 ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    tombstones.add(rows.getString(1));
                }
            } catch (SQLException e) {
                throw new IllegalStateException("the suppression store's tombstones could not be read: " + e.getMessage(), e);
            }
            tombstonesLoaded = true;
        }
    }
}
