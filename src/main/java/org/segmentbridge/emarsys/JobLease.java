package org.segmentbridge.emarsys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

import org.segmentbridge.state.StateStore;

/**
 * One instance at a time for a job, when several bridges share the state database (table {@code job_lease}): a run
 * goes ahead only while its bridge holds the job's lease. The holder renews it on every run; another bridge takes the
 * job over once the lease has expired. Plain SQL (update, else insert guarded by the primary key), so the state store
 * may be any database.
 */
final class JobLease {

    private final StateStore stateStore;
    private final String holder;

    /** @param holder this bridge, unique among those sharing the database */
    JobLease(StateStore stateStore, String holder) {
        this.stateStore = stateStore;
        this.holder = holder;
    }

    /** True when this bridge now holds the job until {@code until}: it held it already, or nobody holds it any more. */
    boolean hold(String job, Instant now, Instant until) throws SQLException {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            try (PreparedStatement renew = connection.prepareStatement(
                    "UPDATE job_lease SET holder = ?, expires_at = ? WHERE job = ? AND (holder = ? OR expires_at < ?)")) {
                renew.setString(1, holder);
                renew.setTimestamp(2, Timestamp.from(until));
                renew.setString(3, job);
                renew.setString(4, holder);
                renew.setTimestamp(5, Timestamp.from(now));
                if (renew.executeUpdate() > 0) {
                    return true;
                }
            }
            try (PreparedStatement take = connection.prepareStatement(
                    "INSERT INTO job_lease (job, holder, expires_at) VALUES (?, ?, ?)")) {
                take.setString(1, job);
                take.setString(2, holder);
                take.setTimestamp(3, Timestamp.from(until));
                return take.executeUpdate() > 0;
            } catch (SQLException e) {
                // The row exists and another bridge holds an unexpired lease (or inserted it a moment before): the
                // primary key lets one bridge in. Anything else is the database failing, and is said as such.
                if (isKeyViolation(e)) {
                    return false;
                }
                throw e;
            }
        }
    }

    /** SQLSTATE class 23, integrity constraint violation: the same on H2 and PostgreSQL. */
    private static boolean isKeyViolation(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("23");
    }

    /** Lets another bridge take the job at once (this one is stopping). */
    void release(String job) throws SQLException {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement release = connection.prepareStatement("DELETE FROM job_lease WHERE job = ? AND holder = ?")) {
            release.setString(1, job);
            release.setString(2, holder);
            release.executeUpdate();
        }
    }
}
