package org.segmentbridge.delivery;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.segmentbridge.state.StateStore;
import org.segmentbridge.state.StoreFailures;
import org.slf4j.LoggerFactory;

/**
 * Pacers shared by every bridge on one PostgreSQL state database: each pacer's window is a row of
 * {@code pacer_window} (the number of the next request) and its slots rows of {@code pacer_slot}, and its pause a row
 * of {@code pacer_pause} (migrations {@code db/postgresql/V10} and {@code V14}). All are reached through the state
 * store's connection pool.
 *
 * <p><b>A permit</b> is one short transaction: the window's row is locked ({@code SELECT ... FOR UPDATE}), the slot of
 * its next request read, and when that slot is free the request written into it and the next number counted on;
 * the commit lets the next bridge in. Its end is written shortly after it is reported, by one writer thread that
 * sends whatever ends have gathered meanwhile in one transaction: a slot's end recorded a little late only holds the
 * request N after it back a little longer. The window is rows of slots rather than one array, so a permit writes one
 * small row whatever N is (endpoints paced at thousands a second have thousands of slots).
 *
 * <p><b>Clocks.</b> Every start and end is read from the database's clock ({@code clock_timestamp()}, in
 * microseconds), never a bridge's: bridges whose clocks differ pace together exactly as one would. A pause is an
 * instant, compared with each bridge's own clock (kept by NTP, milliseconds apart).
 *
 * <p><b>Row ids</b> are SHA-256 digests of the pacer's key (a credential id, which may hold part of a key) and, for the
 * window, of its rate: no credential text is written to the database, and a changed rate starts a window of its own.
 * Windows whose requests all ended over an hour ago are deleted once per process start (a new one starts empty, the
 * same as theirs).
 *
 * <p><b>Failures.</b> Every statement must answer within {@link #REQUEST_TIMEOUT}; getting a connection waits at most
 * the store's connection timeout (3 s), which a database that is down costs. When a take fails the pacer takes nothing
 * (see {@link RequestPacer}), and this says so once per outage (and every 30 s while it lasts). An end that cannot be
 * written is dropped: its slot frees itself at its request's latest end.
 */
final class SharedPacing {

    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(SharedPacing.class);

    /** How long a pause read from the database is taken as current: a pause set by another bridge applies this late. */
    static final Duration PAUSE_READ_EVERY = Duration.ofMillis(100);
    /** The longest a statement on the window may take (statement timeouts are whole seconds). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
    /** A window whose requests all ended this long ago is deleted by the sweep: a new one would be as empty. */
    private static final Duration KEEP_IDLE_WINDOW = Duration.ofHours(1);
    private static final Duration WARN_EVERY = Duration.ofSeconds(30);
    /** The database's clock in microseconds: every start and end of every bridge is read from it. */
    private static final String NOW_MICROS = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT";

    private final DataSource connections;
    private final AtomicBoolean swept = new AtomicBoolean();
    /** Requests ended and not yet written, and whether the writer is at work on them. */
    private final ConcurrentLinkedQueue<Ended> ended = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final ExecutorService endWriter = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "shared-pacing-ends");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Instant outageSince;
    private Instant lastWarning;

    SharedPacing(StateStore store) {
        this.connections = new StoreConnections(store);
    }

    /** The shared state of the pacer {@code key} limited to {@code rate}. Reaches the database only when used. */
    PacingState state(String key, Rate rate) {
        return new Shared(digest(key), new Window(digest(key + "\n" + rate), Math.toIntExact(rate.requests()),
                rate.period().toNanos() / 1000));
    }

    /** The row id for a key: its SHA-256 digest in hex. */
    static String digest(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** One pacer's window in the database: its row id, N and the period in microseconds. */
    private record Window(String id, int requests, long periodMicros) {

        int slot(long request) {
            return (int) Math.floorMod(request, (long) requests);
        }
    }

    /** A request that ended, to be written into its slot (if the slot is still its own). */
    private record Ended(Window window, long request) {
    }

    /**
     * Takes the window's next slot in one transaction. The slot is read after the window's row is locked, so it is
     * what the last taker wrote, and the time with it is after that taker committed: starts are read in the order
     * their slots are handed out, as the proof in {@link RequestPacer} needs.
     */
    private PacingState.Take take(Window window, Duration longest) {
        try (Connection connection = connections.getConnection()) {
            connection.setAutoCommit(false);
            try {
                PacingState.Take take = take(connection, window, longest);
                connection.commit();
                return take;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the shared window could not be taken from: " + StoreFailures.describe(e), e);
        }
    }

    private PacingState.Take take(Connection connection, Window window, Duration longest) throws SQLException {
        Long next = lockWindow(connection, window);
        if (next == null) {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO pacer_window (id, next_request) VALUES (?, 0) ON CONFLICT (id) DO NOTHING")) {
                insert.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
                insert.setString(1, window.id());
                insert.executeUpdate();
            }
            next = lockWindow(connection, window);
            if (next == null) {
                throw new IllegalStateException("the shared window " + window.id() + " was deleted while it was created");
            }
        }
        long now;
        SlidingWindow.Slot previous;
        try (PreparedStatement select = connection.prepareStatement("SELECT " + NOW_MICROS + ", s.request, s.ended_at, s.ends_by"
                + " FROM (SELECT 1) one LEFT JOIN pacer_slot s ON s.pacer_id = ? AND s.slot = ?")) {
            select.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            select.setString(1, window.id());
            select.setInt(2, window.slot(next));
            try (ResultSet row = select.executeQuery()) {
                row.next();
                now = row.getLong(1);
                long request = row.getLong(2);
                previous = row.wasNull() ? SlidingWindow.Slot.unused(next - window.requests())
                        : new SlidingWindow.Slot(request, endedAt(row), row.getLong(4));
            }
        }
        if (previous.freeAt(window.periodMicros()) > now) {
            return PacingState.Take.refused(Duration.ofNanos((previous.soonestFree(now, window.periodMicros()) - now) * 1000));
        }
        SlidingWindow.Slot started = SlidingWindow.Slot.started(next, now, longest.toNanos() / 1000);
        try (PreparedStatement write = connection.prepareStatement(
                "WITH counted AS (UPDATE pacer_window SET next_request = next_request + 1 WHERE id = ?)"
                        + " INSERT INTO pacer_slot (pacer_id, slot, request, ended_at, ends_by) VALUES (?, ?, ?, NULL, ?)"
                        + " ON CONFLICT (pacer_id, slot) DO UPDATE SET request = EXCLUDED.request, ended_at = NULL,"
                        + " ends_by = EXCLUDED.ends_by")) {
            write.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            write.setString(1, window.id());
            write.setString(2, window.id());
            write.setInt(3, window.slot(next));
            write.setLong(4, next);
            write.setLong(5, started.endsBy());
            write.executeUpdate();
        }
        return PacingState.Take.granted(new SharedPermit(window, new SlidingWindow.Start(next, previous)));
    }

    /** Locks the window's row; its next request's number, or null when it has no row yet. */
    private static Long lockWindow(Connection connection, Window window) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT next_request FROM pacer_window WHERE id = ? FOR UPDATE")) {
            lock.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            lock.setString(1, window.id());
            try (ResultSet row = lock.executeQuery()) {
                return row.next() ? row.getLong(1) : null;
            }
        }
    }

    private static long endedAt(ResultSet row) throws SQLException {
        long endedAt = row.getLong(3);
        return row.wasNull() ? SlidingWindow.IN_FLIGHT : endedAt;
    }

    /** The request ended: written with the others that ended meanwhile, by the one writer. */
    private void ended(Ended request) {
        ended.add(request);
        if (writing.compareAndSet(false, true)) {
            endWriter.execute(this::writeEnded);
        }
    }

    /**
     * Writes every end gathered so far in one transaction, at the database's time, into the slots still held by
     * those requests; then again if more came meanwhile. In the order of their rows, so two bridges writing at once
     * lock them in the same order.
     */
    private void writeEnded() {
        try {
            List<Ended> batch = new ArrayList<>();
            for (Ended next = ended.poll(); next != null; next = ended.poll()) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                return;
            }
            batch.sort(Comparator.comparing((Ended end) -> end.window().id()).thenComparingInt(end -> end.window().slot(end.request())));
            try (Connection connection = connections.getConnection()) {
                connection.setAutoCommit(false);
                try (PreparedStatement update = connection.prepareStatement("UPDATE pacer_slot SET ended_at = " + NOW_MICROS
                        + " WHERE pacer_id = ? AND slot = ? AND request = ? AND ended_at IS NULL")) {
                    update.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
                    for (Ended end : batch) {
                        update.setString(1, end.window().id());
                        update.setInt(2, end.window().slot(end.request()));
                        update.setLong(3, end.request());
                        update.addBatch();
                    }
                    update.executeBatch();
                    connection.commit();
                } catch (SQLException | RuntimeException e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(true);
                }
            } catch (SQLException | RuntimeException e) {
                LOG.debug("{} request end(s) were not written; their slots free themselves at their latest end: {}",
                        batch.size(), StoreFailures.describe(e));
            }
        } finally {
            writing.set(false);
            if (!ended.isEmpty() && writing.compareAndSet(false, true)) {
                endWriter.execute(this::writeEnded);
            }
        }
    }

    /**
     * The request was not sent: when no request started after it, its slot gets back what it held and the window's
     * count goes back (both in one statement, the window's row locked first as a take locks it); otherwise it ended.
     */
    private void giveBack(Window window, SlidingWindow.Start start) {
        SlidingWindow.Slot previous = start.previous();
        try (Connection connection = connections.getConnection();
             PreparedStatement undo = connection.prepareStatement(
                     "WITH counted AS (UPDATE pacer_window SET next_request = next_request - 1 WHERE id = ? AND next_request = ?"
                             + " RETURNING id)"
                             + " UPDATE pacer_slot SET request = ?, ended_at = ?, ends_by = ? FROM counted"
                             + " WHERE pacer_slot.pacer_id = counted.id AND pacer_slot.slot = ? AND pacer_slot.request = ?")) {
            undo.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            undo.setString(1, window.id());
            undo.setLong(2, start.request() + 1);
            undo.setLong(3, previous.request());
            if (previous.inFlight()) {
                undo.setNull(4, Types.BIGINT);
            } else {
                undo.setLong(4, previous.endedAt());
            }
            undo.setLong(5, previous.endsBy());
            undo.setInt(6, window.slot(start.request()));
            undo.setLong(7, start.request());
            if (undo.executeUpdate() == 1) {
                return;
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("A permit was not given back, it ends now instead: {}", StoreFailures.describe(e));
        }
        ended(new Ended(window, start.request()));
    }

    /** A request's slot in a shared window; ended or given back once, whichever comes first. */
    private final class SharedPermit implements RequestPacer.Permit {

        private final Window window;
        private final SlidingWindow.Start start;
        private final AtomicBoolean settled = new AtomicBoolean();

        SharedPermit(Window window, SlidingWindow.Start start) {
            this.window = window;
            this.start = start;
        }

        @Override
        public void done() {
            if (settled.compareAndSet(false, true)) {
                ended(new Ended(window, start.request()));
            }
        }

        @Override
        public void giveBack() {
            if (settled.compareAndSet(false, true)) {
                SharedPacing.this.giveBack(window, start);
            }
        }
    }

    /** One pacer's window and pause, the pause read at most every {@link #PAUSE_READ_EVERY}. */
    private final class Shared implements PacingState {

        private final String pauseId;
        private final Window window;
        /** The latest pause known here: read from the database, or recorded by this bridge. */
        private Instant known = Instant.MIN;
        /** Until when {@link #known} is taken as current ({@link System#nanoTime}), once read. */
        private long nextRead;
        private boolean read;
        /** A pause this bridge recorded and could not write yet: written before the next read. */
        private Instant unwritten;

        Shared(String pauseId, Window window) {
            this.pauseId = pauseId;
            this.window = window;
        }

        @Override
        public Take take(Duration longest) {
            return SharedPacing.this.take(window, longest);
        }

        /**
         * The pause, read again once {@link #PAUSE_READ_EVERY} has passed. When the read fails a pause known here that
         * has not ended yet still answers (nothing may go before it anyway, and the database is asked again after
         * {@link RequestPacer#UNREACHABLE_RETRY}); without one the failure is thrown: the pacer takes nothing.
         */
        @Override
        public synchronized Instant pausedUntil() {
            long now = System.nanoTime();
            if (read && now - nextRead < 0) {
                return known;
            }
            sweepOnce();
            try (Connection connection = connections.getConnection()) {
                if (unwritten != null) {
                    write(connection, pauseId, unwritten);
                    unwritten = null;
                }
                known = RequestPacer.later(known, readPause(connection, pauseId));
            } catch (SQLException e) {
                IllegalStateException failure = new IllegalStateException("the shared pause could not be read: "
                        + StoreFailures.describe(e), e);
                if (!known.isAfter(Instant.now())) {
                    throw failure;
                }
                failed(failure);
                nextRead = System.nanoTime() + RequestPacer.UNREACHABLE_RETRY.toNanos();
                return known;
            }
            nextRead = now + PAUSE_READ_EVERY.toNanos();
            read = true;
            return known;
        }

        /**
         * Kept here at once, and written for the other bridges; when the write fails it is written before the next
         * read. PostgreSQL keeps microseconds: the pause is rounded up to one, so every bridge ends it at the same
         * instant, none earlier than the vendor said.
         */
        @Override
        public void pauseUntil(Instant until) {
            Instant stored = until.truncatedTo(ChronoUnit.MICROS);
            Instant pause = stored.equals(until) ? stored : stored.plus(1, ChronoUnit.MICROS);
            synchronized (this) {
                known = RequestPacer.later(known, pause);
            }
            try (Connection connection = connections.getConnection()) {
                write(connection, pauseId, pause);
            } catch (SQLException | RuntimeException e) {
                synchronized (this) {
                    unwritten = unwritten == null ? pause : RequestPacer.later(unwritten, pause);
                }
                failed(e instanceof RuntimeException unchecked ? unchecked
                        : new IllegalStateException("the shared pause could not be written: " + StoreFailures.describe(e), e));
            }
        }

        @Override
        public void failed(RuntimeException failure) {
            SharedPacing.this.failed(failure);
        }

        @Override
        public void answered() {
            SharedPacing.this.answered();
        }
    }

    /** Keeps the later of the stored pause and {@code until}, whichever bridge wrote which first. */
    private static void write(Connection connection, String pauseId, Instant until) throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO pacer_pause (pacer_id, paused_until) VALUES (?, ?)"
                + " ON CONFLICT (pacer_id) DO UPDATE SET paused_until = GREATEST(pacer_pause.paused_until, EXCLUDED.paused_until)")) {
            upsert.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            upsert.setString(1, pauseId);
            upsert.setObject(2, OffsetDateTime.ofInstant(until, ZoneOffset.UTC));
            upsert.executeUpdate();
        }
    }

    private static Instant readPause(Connection connection, String pauseId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT paused_until FROM pacer_pause WHERE pacer_id = ?")) {
            select.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            select.setString(1, pauseId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getObject(1, OffsetDateTime.class).toInstant() : Instant.MIN;
            }
        }
    }

    /** Deletes windows whose requests all ended over {@link #KEEP_IDLE_WINDOW} ago, once per process; a failure is let pass. */
    private void sweepOnce() {
        if (!swept.compareAndSet(false, true)) {
            return;
        }
        try (Connection connection = connections.getConnection();
             PreparedStatement delete = connection.prepareStatement("DELETE FROM pacer_window w WHERE NOT EXISTS (SELECT 1"
                     + " FROM pacer_slot s WHERE s.pacer_id = w.id AND LEAST(COALESCE(s.ended_at, s.ends_by), s.ends_by) > "
                     + NOW_MICROS + " - ?)")) {
            delete.setQueryTimeout((int) REQUEST_TIMEOUT.toSeconds());
            delete.setLong(1, KEEP_IDLE_WINDOW.toNanos() / 1000);
            int removed = delete.executeUpdate();
            if (removed > 0) {
                LOG.debug("Deleted {} idle pacer window(s)", removed);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Idle pacer windows were not deleted: {}", StoreFailures.describe(e));
        }
    }

    private void failed(RuntimeException failure) {
        Instant now = Instant.now();
        boolean warn;
        synchronized (this) {
            if (outageSince == null) {
                outageSince = now;
            }
            warn = lastWarning == null || Duration.between(lastWarning, now).compareTo(WARN_EVERY) > 0;
            if (warn) {
                lastWarning = now;
            }
        }
        if (warn) {
            LOG.warn("The shared pacers cannot reach the state database ({}): nothing they pace is sent until it answers",
                    StoreFailures.describe(failure));
        }
    }

    private void answered() {
        if (outageSince == null) {
            return;
        }
        Instant since;
        synchronized (this) {
            since = outageSince;
            outageSince = null;
            lastWarning = null;
        }
        if (since != null) {
            LOG.info("The shared pacers reach the state database again, {} ms after it failed",
                    Duration.between(since, Instant.now()).toMillis());
        }
    }

    /**
     * The state store's current pool, asked for at each connection: the store makes a new pool when it starts again,
     * and has none while stopped (which reads as a connection that could not be had).
     */
    private static final class StoreConnections implements DataSource {

        private final StateStore store;

        StoreConnections(StateStore store) {
            this.store = store;
        }

        @Override
        public Connection getConnection() throws SQLException {
            DataSource pool;
            try {
                pool = store.dataSource();
            } catch (StateStore.NotStarted e) {
                throw new SQLTransientConnectionException(e.getMessage(), "08003", e);
            }
            return pool.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("the state store's pool has its own credentials");
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            if (type.isInstance(this)) {
                return type.cast(this);
            }
            throw new SQLException("not a wrapper of " + type.getName());
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return type.isInstance(this);
        }
    }
}
