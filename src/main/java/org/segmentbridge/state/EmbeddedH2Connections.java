package org.segmentbridge.state;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * Opens the pool's physical connections to the embedded H2 file, and after a fatal error opens none until every
 * connection to the failed database is closed.
 *
 * <p>Why: H2 keeps one database object per file name in a process-wide registry. When H2 closes a database itself
 * (out of memory, a store panic, {@code SHUTDOWN IMMEDIATELY}), it leaves the registry at once, so the next connection
 * opens the file again as a new database. But when the last session of the old one is closed later, H2 removes the
 * registry entry by name again, which by then is the new database's: the new database stays open and keeps the file
 * locked, and every further connection fails with 90020 "Database may be already in use" until all of its connections
 * are gone too (checked on H2 2.3.232). A pool that keeps its connections open never gets there. So a fatal error
 * retires every open connection; new ones wait (up to {@code openWait}, then fail so the pool retries) until the
 * retired ones are all closed, and only then open the file.
 */
final class EmbeddedH2Connections implements DataSource {

    private static final long POLL_MILLIS = 20;
    /** H2: the file is locked (by another process, or by a database of this process that is not closed yet). */
    private static final String FILE_IN_USE = "90020";

    private final String url;
    private final Properties credentials = new Properties();
    private final Duration openWait;
    private final Consumer<SQLException> orphanFound;
    private final Object lock = new Object();
    /** Physical connections handed to the pool since the last fatal error (closed ones are pruned lazily). */
    private final List<Connection> open = new ArrayList<>();
    /** Connections to a failed database, not all closed yet: no new connection is opened while any is left. */
    private final List<Connection> retiring = new ArrayList<>();
    private long generation;
    private int loginTimeout;

    /**
     * @param orphanFound told when the file is locked while this process holds connections: they belong to a database
     *                    H2 no longer knows as the file's, which must be closed before the file can be opened again
     */
    EmbeddedH2Connections(String url, String username, String password, Duration openWait, Consumer<SQLException> orphanFound) {
        this.url = url;
        credentials.setProperty("user", username);
        credentials.setProperty("password", password == null ? "" : password);
        this.openWait = openWait;
        this.orphanFound = orphanFound;
    }

    /** Every connection open now belongs to a failed database: none is opened again until they are all closed. */
    int retire() {
        synchronized (lock) {
            prune(open);
            retiring.addAll(open);
            open.clear();
            generation++;
            prune(retiring);
            return retiring.size();
        }
    }

    /** Connections to a failed database still open. */
    int retiring() {
        synchronized (lock) {
            prune(retiring);
            return retiring.size();
        }
    }

    /** Closes the retired connections still open: whoever uses one gets an error, as it would from the failed database. */
    void closeRetired() {
        List<Connection> left;
        synchronized (lock) {
            left = new ArrayList<>(retiring);
        }
        for (Connection connection : left) {
            try {
                connection.close();
            } catch (SQLException | RuntimeException e) {
                // the database is gone already; closing is all that was wanted
            }
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        long deadline = System.nanoTime() + openWait.toNanos();
        while (true) {
            long opening;
            int left;
            synchronized (lock) {
                prune(retiring);
                left = retiring.size();
                opening = generation;
            }
            if (left == 0) {
                Connection connection;
                try {
                    connection = DriverManager.getConnection(url, credentials);
                } catch (SQLException e) {
                    if (!FILE_IN_USE.equals(e.getSQLState())) {
                        throw e;
                    }
                    boolean orphans;
                    synchronized (lock) {
                        prune(open);
                        orphans = !open.isEmpty();
                    }
                    if (orphans) {
                        orphanFound.accept(e);
                    }
                    if (System.nanoTime() >= deadline) {
                        throw e;
                    }
                    sleep();
                    continue;
                }
                synchronized (lock) {
                    if (opening == generation) {
                        prune(open);
                        open.add(connection);
                        return connection;
                    }
                }
                // A fatal error came while this one was opening: it may belong to the failed database.
                closeQuietly(connection);
                continue;
            }
            if (System.nanoTime() >= deadline) {
                throw new SQLTransientConnectionException("the state database is being reopened after a fatal error: "
                        + left + " connection(s) to the failed one are still in use", "08001");
            }
            sleep();
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the embedded state database's credentials are fixed");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // H2 logs through its own trace settings
    }

    @Override
    public void setLoginTimeout(int seconds) {
        loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    private static void prune(List<Connection> connections) {
        connections.removeIf(EmbeddedH2Connections::isClosed);
    }

    private static boolean isClosed(Connection connection) {
        try {
            return connection.isClosed();
        } catch (SQLException | RuntimeException e) {
            return true;
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            // a connection nobody used
        }
    }

    private static void sleep() throws SQLException {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTransientConnectionException("interrupted while the state database was being reopened", "08001", e);
        }
    }
}
