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
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.state.StoreFailures;
import org.slf4j.LoggerFactory;

/**
 * Pacers shared by every bridge on one PostgreSQL state database: each pacer's token bucket is a row of
 * {@code pacer_bucket}, kept by bucket4j's PostgreSQL proxy manager, and its pause a row of {@code pacer_pause}
 * (migration {@code db/postgresql/V10}). Both are reached through the state store's connection pool.
 *
 * <p><b>Why SELECT ... FOR UPDATE rather than advisory locks.</b> bucket4j offers both. The row lock is keyed by the
 * row's own primary key, a text here, so no key is hashed into the 64-bit number an advisory lock needs (where two
 * pacers could collide, and share the lock space of the whole database with Flyway's own advisory lock and whatever
 * else takes one); a permit costs one statement fewer (lock-and-read in one, then the write, then the commit); and the
 * lock is plainly visible in {@code pg_locks} as a row lock on {@code pacer_bucket}. Both release the lock when the
 * transaction ends, so a bridge that dies mid-permit holds nobody up for longer than its connection lives.
 *
 * <p><b>Clocks.</b> bucket4j computes the refill from the clock of the bridge that takes the permit. Bridges whose
 * clocks differ by d can together let through up to d's worth of refill more (or less) in a window; with clocks kept by
 * NTP (milliseconds) that is far inside the margin {@link RequestPacer} keeps. A pause is an instant, compared
 * with each bridge's own clock likewise.
 *
 * <p><b>Row ids</b> are SHA-256 digests of the pacer's key (a credential id, which may hold part of a key) and, for the
 * bucket, of its rate: no credential text is written to the database, and a changed rate starts a bucket of its own
 * rather than going on with a bucket built for the old one (bucket4j keeps the configuration a bucket was created
 * with). Buckets that have been full for an hour expire and are deleted once per process start.
 *
 * <p><b>Failures.</b> Every bucket operation is one short transaction that must end within {@link #REQUEST_TIMEOUT}:
 * bucket4j checks the deadline between its steps and gives each statement what remains as its timeout (rolling back
 * takes nothing). Getting a connection waits at most the store's connection timeout (3 s), which a database that is
 * down costs. When anything fails the pacer takes nothing (see {@link RequestPacer}), and this says so once per
 * outage (and every 30 s while it lasts).
 */
final class SharedPacing {

    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(SharedPacing.class);

    /** How long a pause read from the database is taken as current: a pause set by another bridge applies this late. */
    static final Duration PAUSE_READ_EVERY = Duration.ofMillis(100);
    /** The longest a bucket operation may take, its connection included (statement timeouts are whole seconds). */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);
    /** A bucket full for this long is deleted by the sweep: a new one would start full, so nothing is lost. */
    private static final Duration KEEP_FULL_BUCKET = Duration.ofHours(1);
    private static final int SWEEP_ROWS = 1000;
    private static final Duration WARN_EVERY = Duration.ofSeconds(30);

    private final DataSource connections;
    private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
    private final AtomicBoolean swept = new AtomicBoolean();
    private volatile Instant outageSince;
    private Instant lastWarning;

    SharedPacing(StateStore store) {
        this.connections = new StoreConnections(store);
        this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(connections)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("pacer_bucket")
                .idColumn("id")
                .stateColumn("state")
                .expiresAtColumn("expires_at")
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKET))
                .requestTimeout(REQUEST_TIMEOUT)
                .clientClock(TimeMeter.SYSTEM_MILLISECONDS)
                .build();
    }

    /** The shared state of the pacer {@code key} limited to {@code rate}. Reaches the database only when used. */
    PacingState state(String key, Rate rate) {
        return new Shared(digest(key), buckets.builder().build(digest(key + "\n" + rate),
                () -> BucketConfiguration.builder().addLimit(RequestPacer.limit(rate, RequestPacer.SHARED_SLOWER_PERCENT)).build()));
    }

    /** The row id for a key: its SHA-256 digest in hex. */
    static String digest(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** One pacer's bucket proxy and pause, the pause read at most every {@link #PAUSE_READ_EVERY}. */
    private final class Shared implements PacingState {

        private final String pauseId;
        private final Bucket bucket;
        /** The latest pause known here: read from the database, or recorded by this bridge. */
        private Instant known = Instant.MIN;
        /** Until when {@link #known} is taken as current ({@link System#nanoTime}), once read. */
        private long nextRead;
        private boolean read;
        /** A pause this bridge recorded and could not write yet: written before the next read. */
        private Instant unwritten;

        Shared(String pauseId, Bucket bucket) {
            this.pauseId = pauseId;
            this.bucket = bucket;
        }

        @Override
        public Bucket bucket() {
            return bucket;
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

    /** Deletes buckets that expired (full for {@link #KEEP_FULL_BUCKET}), once per process; a failure is let pass. */
    private void sweepOnce() {
        if (!swept.compareAndSet(false, true)) {
            return;
        }
        try {
            int removed = buckets.removeExpired(SWEEP_ROWS);
            if (removed > 0) {
                LOG.debug("Deleted {} expired pacer bucket(s)", removed);
            }
        } catch (RuntimeException e) {
            LOG.debug("Expired pacer buckets were not deleted: {}", StoreFailures.describe(e));
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
