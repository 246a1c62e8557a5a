package org.segmentbridge.state;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named locks that every bridge sharing the state database respects, for work that must not run twice at once
 * anywhere (find-or-create of a vendor's list by name: two bridges that both found no list would create two). A lock
 * is a lease row in {@code job_lease} under {@code lock:<hash of the name>}: the primary key lets one bridge insert it;
 * its holder renews it while the work runs and deletes it when the work is done; a holder that died leaves a lease
 * that others take over once it has expired. Plain SQL (an insert guarded by the key, conditional updates and
 * deletes), so it holds on H2 as on PostgreSQL.
 *
 * <p>Nothing here blocks the caller: taking the lock, waiting for it and the work itself run on futures, the short
 * statements on a thread of this class's own.
 */
public final class ClusterLocks {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterLocks.class);

    /** How long a lease lasts without renewal: a dead holder's lock is free again after at most this. */
    static final Duration LEASE = Duration.ofSeconds(30);
    /** How often a live holder renews its lease while its work runs (a vendor call waiting for its pacer, say). */
    static final Duration RENEW_EVERY = Duration.ofSeconds(10);
    /** How long a bridge waits between tries while another holds the lock. */
    static final Duration WAIT_STEP = Duration.ofMillis(100);
    /** How long it tries before giving up with {@link Busy}: longer than a dead holder's lease. */
    static final Duration MAX_WAIT = LEASE.plusSeconds(5);

    /** The lock stayed held by another bridge all the time this one tried; worth trying again later. */
    public static final class Busy extends RuntimeException {
        Busy(String name, Duration tried) {
            super("another bridge still holds the lock on " + name + " after " + tried.toMillis() + " ms", null, false, false);
        }
    }

    private final StateStore stateStore;
    private final Duration leaseTime;
    private final Duration renewEvery;
    private final Duration maxWait;
    private final ScheduledThreadPoolExecutor timer;

    public ClusterLocks(StateStore stateStore) {
        this(stateStore, LEASE, RENEW_EVERY, MAX_WAIT);
    }

    /** With other timings, for tests. */
    ClusterLocks(StateStore stateStore, Duration leaseTime, Duration renewEvery, Duration maxWait) {
        this.stateStore = stateStore;
        this.leaseTime = leaseTime;
        this.renewEvery = renewEvery;
        this.maxWait = maxWait;
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "cluster-locks");
            thread.setDaemon(true);
            return thread;
        });
        // No thread is kept while no lock is wanted: most bridges never create anything.
        timer.setKeepAliveTime(30, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Runs {@code work} once this bridge holds the lock on {@code name} within {@code scope}, and lets the lock go when
     * the future it returns completes (after which the returned future completes as it did). Fails with {@link Busy}
     * when another bridge held the lock all along, and with the store's failure when the state database cannot be
     * used.
     *
     * @param name  what the lock guards, as logs and failures name it
     * @param scope where the name is unique (a vendor account); never shown, as it may be derived from a credential
     */
    public <T> CompletableFuture<T> holding(String name, String scope, Supplier<CompletableFuture<T>> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Lease lease = new Lease(name, key(scope + "\u0000" + name), "bridge-" + UUID.randomUUID());
        long giveUpAt = System.nanoTime() + maxWait.toNanos();
        timer.execute(() -> attempt(lease, giveUpAt, work, result));
        return result;
    }

    private record Lease(String name, String key, String holder) {
    }

    private <T> void attempt(Lease lease, long giveUpAt, Supplier<CompletableFuture<T>> work, CompletableFuture<T> result) {
        boolean taken;
        try {
            taken = take(lease);
        } catch (SQLException | RuntimeException e) {
            result.completeExceptionally(new IllegalStateException("the lock on " + lease.name()
                    + " could not be taken: " + StoreFailures.describe(e), e));
            return;
        }
        if (!taken) {
            if (System.nanoTime() - giveUpAt > 0) {
                result.completeExceptionally(new Busy(lease.name(), maxWait));
            } else {
                timer.schedule(() -> attempt(lease, giveUpAt, work, result), WAIT_STEP.toMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        ScheduledFuture<?> renewing = timer.scheduleWithFixedDelay(() -> renew(lease), renewEvery.toMillis(),
                renewEvery.toMillis(), TimeUnit.MILLISECONDS);
        CompletableFuture<T> done;
        try {
            done = work.get();
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        done.whenComplete((value, failure) -> {
            renewing.cancel(false);
            timer.execute(() -> {
                release(lease);
                if (failure != null) {
                    result.completeExceptionally(failure);
                } else {
                    result.complete(value);
                }
            });
        });
    }

    /** True when this bridge now holds the lease: nobody held it, or the holder's lease had expired. */
    private boolean take(Lease lease) throws SQLException {
        Instant now = Instant.now();
        try (Connection connection = stateStore.dataSource().getConnection()) {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO job_lease (job, holder, expires_at) VALUES (?, ?, ?)")) {
                insert.setString(1, lease.key());
                insert.setString(2, lease.holder());
                insert.setTimestamp(3, Timestamp.from(now.plus(this.leaseTime)));
                insert.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
                    throw e;
                }
            }
            // Held, or left behind by a holder that died: an expired lease is taken over by one bridge (the update
            // of the others waits for it, then finds the lease no longer expired).
            try (PreparedStatement takeOver = connection.prepareStatement(
                    "UPDATE job_lease SET holder = ?, expires_at = ? WHERE job = ? AND expires_at < ?")) {
                takeOver.setString(1, lease.holder());
                takeOver.setTimestamp(2, Timestamp.from(now.plus(this.leaseTime)));
                takeOver.setString(3, lease.key());
                takeOver.setTimestamp(4, Timestamp.from(now));
                return takeOver.executeUpdate() == 1;
            }
        }
    }

    private void renew(Lease lease) {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement renew = connection.prepareStatement(
                     "UPDATE job_lease SET expires_at = ? WHERE job = ? AND holder = ?")) {
            renew.setTimestamp(1, Timestamp.from(Instant.now().plus(this.leaseTime)));
            renew.setString(2, lease.key());
            renew.setString(3, lease.holder());
            if (renew.executeUpdate() == 0) {
                LOG.warn("The lock on {} was lost while its work ran (its lease expired); another bridge may do the same work",
                        lease.name());
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("The lock on {} could not be renewed: {}", lease.name(), StoreFailures.describe(e));
        }
    }

    private void release(Lease lease) {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement release = connection.prepareStatement("DELETE FROM job_lease WHERE job = ? AND holder = ?")) {
            release.setString(1, lease.key());
            release.setString(2, lease.holder());
            release.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("The lock on {} could not be let go; it is free again when its lease expires: {}", lease.name(),
                    StoreFailures.describe(e));
        }
    }

    /** The row's key: fixed length whatever the name (the column holds 200), and nothing of it readable there. */
    static String key(String name) {
        try {
            return "lock:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
