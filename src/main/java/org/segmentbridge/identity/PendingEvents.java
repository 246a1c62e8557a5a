package org.segmentbridge.identity;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.segmentbridge.deadletters.DeadLetters;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.queue.IntakeLog;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Events a destination holds back until their person's primary key is known. As soon as an event supplies the key,
 * the person's waiting events are queued again for their destinations, oldest first. Those still waiting after the
 * TTL become dead letters with the reason; the store is bounded, and an event that finds it full is dead-lettered
 * at once rather than dropped.
 */
public final class PendingEvents implements ErasesPeople {

    private static final Logger LOG = LoggerFactory.getLogger(PendingEvents.class);

    private final StateStore stateStore;
    private final IdentityStore identity;
    private final EventQueue queue;
    private final DeadLetters deadLetters;
    private final Duration ttl;
    private final int maxEvents;

    public PendingEvents(StateStore stateStore, IdentityStore identity, EventQueue queue, DeadLetters deadLetters,
                         Duration ttl, int maxEvents) {
        this.stateStore = stateStore;
        this.identity = identity;
        this.queue = queue;
        this.deadLetters = deadLetters;
        this.ttl = ttl;
        this.maxEvents = maxEvents;
    }

    private record Waiting(long id, String destination, String messageId, String event) {
    }

    /** Holds an event for a destination until its person's key is known. */
    public void park(String destination, String personId, String messageId, String event, String why) {
        Instant now = Instant.now();
        try (Connection connection = stateStore.dataSource().getConnection()) {
            if (count(connection) >= maxEvents) {
                deadLetters.add(destination, "identity", messageId, event, null, 0, 0, "pending_full",
                        why + "; the pending store is full (" + maxEvents + " events, setting bridge.identity.pending.max-events)");
                return;
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO pending_event (destination, person_id, message_id, event, parked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, destination);
                insert.setString(2, personId);
                insert.setString(3, messageId);
                insert.setString(4, event);
                insert.setTimestamp(5, Timestamp.from(now));
                insert.setTimestamp(6, Timestamp.from(now.plus(ttl)));
                insert.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the pending store could not be written: " + e.getMessage(), e);
        }
        // The key may have arrived while this event was being parked: whoever writes second releases.
        if (identity.primaryKey(personId).isPresent()) {
            release(personId);
        }
    }

    /**
     * Queues every event waiting for this person again, oldest first, each once, however many bridges release the
     * person at the same moment (see {@link #claim}). A bridge that meets a row another claims waits for it, so the
     * rows go to the queue in their order whoever claims which.
     */
    public void release(String personId) {
        for (Waiting waiting : waitingFor(personId)) {
            claim(waiting.id(), "", transaction ->
                    queue.republish(waiting.destination(), IntakeLog.Entry.parse(waiting.event()), null));
        }
    }

    /** What is done with a waiting row this bridge has claimed, inside the claim's transaction. */
    @FunctionalInterface
    private interface ClaimedRow {
        void take(Connection transaction) throws SQLException;
    }

    /**
     * Does {@code then} with one waiting row if this bridge is the one that takes it off the store: the row is deleted
     * first, in a transaction that commits only once {@code then} is done. Another bridge deleting the same row at
     * the same moment waits for that transaction, then deletes nothing and leaves the row alone, so each row is
     * queued again, or dead-lettered, exactly once. When {@code then} fails, the transaction rolls back and the row
     * stays for the next try (the upkeep's {@link #releaseKeyed} or {@link #expire}). What {@code then} queues
     * before a commit that then fails is queued again by that next try: at least once, never lost.
     *
     * @param condition extra SQL the row must meet to be claimed, after {@code WHERE id = ?}; its parameters follow
     * @return true when this bridge claimed the row and {@code then} was done
     */
    private boolean claim(long id, String condition, ClaimedRow then, Timestamp... parameters) {
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            try {
                int deleted;
                try (PreparedStatement delete = transaction.prepareStatement("DELETE FROM pending_event WHERE id = ?" + condition)) {
                    delete.setLong(1, id);
                    for (int index = 0; index < parameters.length; index++) {
                        delete.setTimestamp(index + 2, parameters[index]);
                    }
                    deleted = delete.executeUpdate();
                }
                if (deleted == 0) {
                    transaction.rollback();
                    return false;
                }
                then.take(transaction);
                transaction.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                transaction.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the pending store could not be written: " + e.getMessage(), e);
        }
    }

    /**
     * Releases the events waiting for any of these persons (whose key just became known): one query finds which of
     * them have any, so a batch of new persons costs one round trip, not one each, when (as usually) none wait.
     */
    public void releaseAll(java.util.Collection<String> personIds) {
        List<String> all = List.copyOf(personIds);
        for (int from = 0; from < all.size(); from += 500) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
            List<String> waiting = new ArrayList<>();
            try (Connection connection = stateStore.dataSource().getConnection();
                 PreparedStatement query = connection.prepareStatement("SELECT DISTINCT person_id FROM pending_event WHERE person_id IN ("
                         + String.join(",", java.util.Collections.nCopies(chunk.size(), "?")) + ")")) {
                for (int index = 0; index < chunk.size(); index++) {
                    query.setString(index + 1, chunk.get(index));
                }
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        waiting.add(rows.getString(1));
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("the pending store could not be read: " + e.getMessage(), e);
            }
            waiting.forEach(this::release);
        }
    }

    /** Releases events whose person got a key without releasing them (a release that failed after the key arrived). */
    public void releaseKeyed() {
        List<String> persons = new ArrayList<>();
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("""
                     SELECT DISTINCT p.person_id FROM pending_event p JOIN person s ON s.id = p.person_id
                     WHERE s.primary_key IS NOT NULL""");
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                persons.add(rows.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the pending store could not be read: " + e.getMessage(), e);
        }
        persons.forEach(this::release);
    }

    /** Dead-letters the events that waited longer than the TTL; returns how many. */
    public int expire(Instant now) {
        List<Waiting> expired = new ArrayList<>();
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT id, destination, message_id, event FROM pending_event WHERE expires_at < ? ORDER BY id")) {
            query.setTimestamp(1, Timestamp.from(now));
            expired.addAll(read(query));
        } catch (SQLException e) {
            throw new IllegalStateException("the pending store could not be read: " + e.getMessage(), e);
        }
        int claimed = 0;
        for (Waiting waiting : expired) {
            // Claimed, so that of several bridges expiring at once one dead-letters it; and still expired, so that
            // a row released meanwhile is not (the release claimed it first).
            if (claim(waiting.id(), " AND expires_at < ?", transaction -> deadLetters.add(transaction, waiting.destination(),
                    "identity", waiting.messageId(), waiting.event(), null, 0, 0, "identity_timeout", "waited " + readable(ttl)
                            + " (bridge.identity.pending.ttl) for the person's primary key, and no event supplied it"),
                    Timestamp.from(now))) {
                claimed++;
            }
        }
        if (claimed > 0) {
            LOG.warn("{} event(s) waited longer than {} for a primary key and were dead-lettered", claimed, ttl);
        }
        return claimed;
    }

    /** The events waiting for the person's key: an erased person's events never go anywhere. */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        int waiting = 0;
        for (String personId : person.personIds()) {
            waiting += ErasesPeople.delete(transaction, "DELETE FROM pending_event WHERE person_id = ?", personId);
        }
        return "waiting events: " + waiting;
    }

    public long size() {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            return count(connection);
        } catch (SQLException e) {
            return -1;
        }
    }

    private List<Waiting> waitingFor(String personId) {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT id, destination, message_id, event FROM pending_event WHERE person_id = ? ORDER BY id")) {
            query.setString(1, personId);
            return read(query);
        } catch (SQLException e) {
            throw new IllegalStateException("the pending store could not be read: " + e.getMessage(), e);
        }
    }

    private static long count(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT COUNT(*) FROM pending_event");
             ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static List<Waiting> read(PreparedStatement query) throws SQLException {
        List<Waiting> waiting = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                waiting.add(new Waiting(rows.getLong("id"), rows.getString("destination"), rows.getString("message_id"),
                        rows.getString("event")));
            }
        }
        return waiting;
    }

    private static String readable(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds % 86_400 == 0) {
            return seconds / 86_400 + " day(s)";
        }
        if (seconds % 3_600 == 0) {
            return seconds / 3_600 + " hour(s)";
        }
        return seconds % 60 == 0 ? seconds / 60 + " minute(s)" : seconds + " second(s)";
    }
}
