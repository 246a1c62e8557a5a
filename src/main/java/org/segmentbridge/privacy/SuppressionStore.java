package org.segmentbridge.privacy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /**
     * How often, at most, the tombstones other bridges sharing the database committed are read: while events flow,
     * one caller in this period pays one query.
     */
    static final Duration READ_EVERY = Duration.ofMillis(250);
    /**
     * The oldest the set may be when an event is checked. With the read itself (milliseconds), an erasure another
     * bridge committed keeps the person's events out here within a second.
     */
    static final Duration MAX_AGE = Duration.ofMillis(750);

    private static final Logger LOG = LoggerFactory.getLogger(SuppressionStore.class);

    private final StateStore stateStore;
    /**
     * Tombstones are few and read for every event, so they are held in memory as well: every tombstone committed up
     * to {@link #seenSeq}, by any bridge, as of the start of the last read ({@link #readStartedNanos}), plus those this
     * bridge committed since.
     */
    private final Set<String> tombstones = ConcurrentHashMap.newKeySet();
    private final ReentrantLock reading = new ReentrantLock();
    /** Guarded by {@link #reading}; -1 before the first read, which takes every tombstone (those before V12 have 0). */
    private long seenSeq = -1;
    private volatile long readStartedNanos;
    private volatile boolean loaded;

    /**
     * The send guard asks for every event it sees, so what it read is remembered per subject and channel (keyed by
     * {@link #consentKey}). Exact in this process: a change forgets the subject's entry as it is written, its subject
     * is not remembered while the change may still commit ({@link #changing}, until {@link #settled}), and a read that
     * a change overtook is not remembered ({@link #changes}). Changes other bridges commit to a shared database are
     * not seen here, so there an entry is used only for {@link #READ_EVERY} after its read began.
     */
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
    private final Map<String, Integer> changing = new ConcurrentHashMap<>();
    private final AtomicLong changes = new AtomicLong();
    /** Beyond this many entries the memory starts over, so it stays small whatever the number of people. */
    static final int REMEMBER_AT_MOST = 100_000;

    private record Remembered(Optional<Consent> consent, long readStartedNanos) {
    }

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

    /**
     * The same for the send guard, from memory when it can be: exactly the store's state in this process; with a
     * database other bridges share, as of at most {@link #READ_EVERY} ago for their changes.
     */
    public Optional<Consent> currentForSending(String subject, String channel) {
        String key = consentKey(subject, channel);
        long started = System.nanoTime();
        Remembered known = remembered.get(key);
        if (known != null && (stateStore.ownedByThisProcess() || started - known.readStartedNanos() < READ_EVERY.toNanos())) {
            return known.consent();
        }
        long changesBefore = changes.get();
        Optional<Consent> current = current(subject, channel);
        if (!changing.containsKey(key) && changes.get() == changesBefore) {
            if (remembered.size() >= REMEMBER_AT_MOST) {
                remembered.clear();
            }
            remembered.put(key, new Remembered(current, started));
        }
        return current;
    }

    /** What the send guard's memory is keyed by, and what {@link #settled} is told. */
    static String consentKey(String subject, String channel) {
        return subject + '\n' + channel;
    }

    /** Called when the transactions that changed these consents (from {@link #record}) have committed. */
    void settled(Collection<String> consentKeys) {
        if (consentKeys.isEmpty()) {
            return;
        }
        changes.incrementAndGet();
        for (String key : consentKeys) {
            remembered.remove(key);
            changing.computeIfPresent(key, (ignored, open) -> open <= 1 ? null : open - 1);
        }
    }

    /** Before a transaction changes a consent: nothing remembers it until the change has committed (or for ever, if it never does). */
    private void changingNow(String key) {
        changing.merge(key, 1, Integer::sum);
        changes.incrementAndGet();
        remembered.remove(key);
    }

    Optional<Consent> current(Connection connection, String subject, String channel) throws SQLException {
        return read(connection, subject, channel, "");
    }

    /**
     * The same, read to be changed within the caller's transaction: the row stays locked until it ends. Two bridges
     * weighing signals of one person at once take turns, and the second weighs its signal against what the first
     * recorded, so one change is marked changed once (not once by each). When there is no row yet, the second insert
     * fails on the primary key, the second bridge's batch is rolled back, and read again it finds the first's row.
     */
    Optional<Consent> currentForChange(Connection transaction, String subject, String channel) throws SQLException {
        return read(transaction, subject, channel, " FOR UPDATE");
    }

    private static Optional<Consent> read(Connection connection, String subject, String channel, String lock) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT state, origin, changed_at FROM consent_state WHERE subject = ? AND channel = ?" + lock)) {
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
        changingNow(consentKey(subject, channel));
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
        // Erased persons' events are stopped by their tombstones; their consent is simply not remembered any more.
        changes.incrementAndGet();
        remembered.clear();
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

    /** True when any of these identifier hashes belongs to an erased person (as of at most {@link #MAX_AGE} ago). */
    public boolean erased(Collection<String> identifierHashes) {
        readNewTombstones();
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

    /**
     * Puts the caller's transaction in line behind every other erasure under way, in any bridge sharing the database,
     * and gives it the next tombstone seq (see {@code V12__tombstone_order.sql}). The counter row stays locked until
     * the transaction ends, so erasures commit in seq order. Taken before the transaction writes anything else about
     * the persons, two erasures never wait for each other's rows (no deadlock).
     */
    long nextTombstoneSeq(Connection transaction) throws SQLException {
        try (PreparedStatement take = transaction.prepareStatement(
                "UPDATE privacy_tombstone_counter SET last_seq = last_seq + 1 WHERE id = 1")) {
            if (take.executeUpdate() != 1) {
                throw new SQLException("the tombstone counter row is missing (migration V12)");
            }
        }
        try (PreparedStatement read = transaction.prepareStatement("SELECT last_seq FROM privacy_tombstone_counter WHERE id = 1");
             ResultSet rows = read.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    void tombstone(Connection transaction, Collection<String> identifierHashes, String requestId, Instant at) throws SQLException {
        long seq = nextTombstoneSeq(transaction);
        for (String hash : identifierHashes) {
            // No other erasure can insert the same hash meanwhile: they wait for the counter row.
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
                    "INSERT INTO privacy_tombstone (identifier_hash, request_id, erased_at, seq) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, hash);
                insert.setString(2, requestId);
                insert.setTimestamp(3, Timestamp.from(at));
                insert.setLong(4, seq);
                insert.executeUpdate();
            }
        }
    }

    /** Called once the transaction that wrote these tombstones has committed: this bridge knows at once. */
    void remember(Collection<String> identifierHashes) {
        tombstones.addAll(identifierHashes);
        if (!identifierHashes.isEmpty()) {
            changes.incrementAndGet();
            remembered.clear();
        }
    }

    /** False while nobody was ever erased: then no event needs its identifiers hashed to be checked. */
    boolean anyErased() {
        readNewTombstones();
        return !tombstones.isEmpty();
    }

    /**
     * Keeps the set no older than {@link #MAX_AGE}, at a cost per event of one clock read: at most every
     * {@link #READ_EVERY} one caller reads the tombstones committed since the last seq seen (an index range that is
     * nearly always empty) while the others go on with the set as it is; only a set older than {@link #MAX_AGE} (no
     * event for a while, or the database failing) makes a caller wait for the read, or fail with the store.
     */
    private void readNewTombstones() {
        long age = System.nanoTime() - readStartedNanos;
        if (loaded && age < READ_EVERY.toNanos()) {
            return;
        }
        if (loaded && age < MAX_AGE.toNanos()) {
            if (reading.tryLock()) {
                try {
                    readSinceLastSeq();
                } catch (IllegalStateException e) {
                    // Still young enough; a caller past MAX_AGE reads again and fails if the store still does.
                    LOG.debug("Could not read new tombstones yet: {}", e.getMessage());
                } finally {
                    reading.unlock();
                }
            }
            return;
        }
        reading.lock();
        try {
            if (!loaded || System.nanoTime() - readStartedNanos >= MAX_AGE.toNanos()) {
                readSinceLastSeq();
            }
        } finally {
            reading.unlock();
        }
    }

    /** Under {@link #reading}. What a read sees was committed before it started, so the set is as of its start. */
    private void readSinceLastSeq() {
        long started = System.nanoTime();
        long highest = seenSeq;
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT identifier_hash, seq FROM privacy_tombstone WHERE seq > ?")) {
            query.setLong(1, seenSeq);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    tombstones.add(rows.getString(1));
                    highest = Math.max(highest, rows.getLong(2));
                }
            }
        } catch (SQLException | RuntimeException e) {
            throw new IllegalStateException("the suppression store's tombstones could not be read: " + e.getMessage(), e);
        }
        seenSeq = highest;
        readStartedNanos = started;
        loaded = true;
    }
}
