package org.segmentbridge.state;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a state database error means for the bridge: a <em>fatal</em> one says the database or the connection is gone
 * (every connection to it must go, and the database be reopened); an <em>unavailable</em> one says the store cannot
 * be used right now (fatal, or a passing failure: no connection within the timeout, a lock timeout, a deadlock), so
 * the work is worth doing again later rather than giving up on it.
 *
 * <p>Hikari evicts a connection by itself only for SQLState class 08 and a few vendor codes. H2 reports its own end
 * with other codes, all checked here (H2 sets the SQLState of these to the code): 90098 "the database has been closed"
 * (after an out-of-memory error or any store panic), 90121 "database called at shutdown" (after {@code SHUTDOWN}),
 * 90108 out of memory (H2 closes the database when it reports this), 90028 / 90031 I/O errors, 90030 a corrupted file,
 * and a general error (50000) caused by an {@code MVStoreException} or an {@code OutOfMemoryError}, which is how the
 * store's own panic surfaces. On an H2 database closed after such an error {@code Connection.isValid} still answers
 * true, so validation alone never finds it.
 *
 * <p>PostgreSQL's driver raises every failure as a plain {@code PSQLException}, never as one of JDBC's transient
 * subclasses, so only its SQLState tells: class 08 (no connection: refused, reset, broken mid-query) and 57P01-57P03
 * (the server shuts down, crashed, or is starting up) are fatal; a cancelled statement (57014, a query timeout), a
 * lock not granted in time (55P03), a serialization failure or deadlock (40001, 40P01) and class 53 (out of
 * connections, memory or disk) pass, so they make the store unavailable without evicting anything.
 */
public final class StoreFailures {

    /** H2's codes for a database that is closed, closing or broken; its SQLState is the same number. */
    private static final Set<String> H2_FATAL_STATES = Set.of("90098", "90121", "90108", "90028", "90031", "90030");
    /** PostgreSQL's admin shutdown, crash shutdown and "cannot connect now". */
    private static final Set<String> SERVER_GONE_STATES = Set.of("57P01", "57P02", "57P03");
    /**
     * Serialization failure and deadlock (the transaction may simply be run again), and PostgreSQL's cancelled
     * statement (a query timeout) and lock not available (a lock timeout).
     */
    private static final Set<String> RETRY_STATES = Set.of("40001", "40P01", "57014", "55P03");
    /** PostgreSQL's class 53, insufficient resources: too many connections, out of memory, disk full. */
    private static final String INSUFFICIENT_RESOURCES_CLASS = "53";
    private static final int H2_GENERAL_ERROR = 50000;
    private static final Pattern SECRET = Pattern.compile("(?i)(password|passwd|pwd|secret|token)(\\s*[=:]\\s*)[^\\s;&,\"']+");
    private static final int MAX_DESCRIPTION = 240;

    private StoreFailures() {
    }

    /** The database behind this connection is gone or unusable: evict the connection (and, with it, its siblings). */
    public static boolean isFatal(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || H2_FATAL_STATES.contains(state) || SERVER_GONE_STATES.contains(state))) {
            return true;
        }
        if (e instanceof SQLNonTransientConnectionException || e instanceof SQLRecoverableException) {
            return true;
        }
        return e.getErrorCode() == H2_GENERAL_ERROR && mentionsStorePanic(e);
    }

    /**
     * The store could not do this now, for a reason that passes (the database is down, being reopened, or busy):
     * anywhere in the cause chain (and the chain of next exceptions) of {@code failure}.
     */
    public static boolean isUnavailable(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable cause = failure; cause != null && seen.put(cause, Boolean.TRUE) == null; cause = cause.getCause()) {
            if (cause instanceof StateStore.NotStarted) {
                return true;
            }
            if (cause instanceof SQLException sql) {
                int depth = 0;
                for (SQLException next = sql; next != null && depth < 10; next = next.getNextException(), depth++) {
                    if (isFatal(next) || next instanceof SQLTransientException || passes(next.getSQLState())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean passes(String state) {
        return state != null && (RETRY_STATES.contains(state) || state.startsWith(INSUFFICIENT_RESOURCES_CLASS));
    }

    /**
     * A one-line account of a failure for logs and health messages: the SQLState and first line of its first SQL
     * exception (and of the deepest one beneath it, which says why when the first is a pool's timeout), without the
     * SQL statement H2 appends (it may carry event data), with anything that looks like a password or token masked.
     */
    public static String describe(Throwable failure) {
        Throwable first = null;
        Throwable deepest = null;
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable cause = failure; cause != null && seen.put(cause, Boolean.TRUE) == null; cause = cause.getCause()) {
            if (cause instanceof SQLException) {
                if (first == null) {
                    first = cause;
                }
                deepest = cause;
            }
        }
        if (first == null) {
            return line(failure);
        }
        String outer = line(first);
        String inner = line(deepest);
        return outer.contains(inner) || inner.contains(outer.substring(outer.indexOf(':') + 1).trim())
                ? outer : outer + " (because " + inner + ")";
    }

    private static String line(Throwable shown) {
        String message = shown.getMessage() == null ? "" : shown.getMessage();
        int statement = message.indexOf("; SQL statement:");
        if (statement >= 0) {
            message = message.substring(0, statement);
        }
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        message = SECRET.matcher(message).replaceAll("$1$2***");
        if (message.length() > MAX_DESCRIPTION) {
            message = message.substring(0, MAX_DESCRIPTION) + "...";
        }
        String kind = shown instanceof SQLException sql && sql.getSQLState() != null
                ? "SQLState " + sql.getSQLState()
                : shown.getClass().getSimpleName();
        return message.isBlank() ? kind : kind + ": " + message;
    }

    /** Masks {@code secret} (a configured password) wherever it appears, for text built from a driver's messages. */
    static String without(String text, String secret) {
        if (text == null || secret == null || secret.length() < 3) {
            return text;
        }
        return text.replace(secret, "***");
    }

    private static boolean mentionsStorePanic(SQLException e) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable cause = e; cause != null && seen.put(cause, Boolean.TRUE) == null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError || cause.getClass().getName().equals("org.h2.mvstore.MVStoreException")) {
                return true;
            }
            String message = cause.getMessage();
            if (message != null && (message.contains("MVStoreException") || message.contains("OutOfMemoryError"))) {
                return true;
            }
        }
        return false;
    }
}
