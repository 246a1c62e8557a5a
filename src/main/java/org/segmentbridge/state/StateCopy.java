package org.segmentbridge.state;

import java.io.PrintStream;
import java.sql.Blob;
import java.sql.BatchUpdateException;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import javax.sql.DataSource;

/**
 * Copies the bridge's state from the embedded H2 database into an empty PostgreSQL one, for the move from one embedded
 * bridge to cluster mode ({@code copy-state}): every table the source has (as H2's information schema lists them,
 * Flyway's history aside), every row, with the values as JDBC reads them, and the identity columns' sequences set past
 * what was copied (and past what H2 had handed out, so no id is given twice).
 *
 * <p>Both databases must be migrated already (the {@link StateStore}s do that when started), so their schemas are
 * those of this jar. The whole copy is <em>one</em> transaction of the target: it first locks every table of the
 * target against writers (so a bridge running on it by mistake waits, or the copy stops), then checks that no table
 * holds a row, then copies. Whatever goes wrong, or if the process is killed, the target is left as it was (migrated,
 * empty) and the same command can simply be run again; a transaction per table would leave a half-filled database the
 * next run refuses. PostgreSQL keeps a large transaction without trouble (no undo log to fill), and the source is not
 * written meanwhile: the caller holds the data folder's lock.
 */
public final class StateCopy {

    /** Flyway's own table: each database keeps the history of its own migrations. */
    static final String FLYWAY_HISTORY = "flyway_schema_history";
    /**
     * Tables a migration fills with rows of its own (V7's heartbeat row, V12's tombstone counter): they do not make a
     * database "used", and their rows are replaced by the source's (the counter must go on from the source's tombstones).
     */
    static final Set<String> SEEDED_BY_MIGRATIONS = Set.of("state_heartbeat", "privacy_tombstone_counter");
    /** Rows sent to the target per batch, at most; a batch is also sent once it holds {@link #BATCH_CHARS} of text. */
    static final int BATCH_ROWS = 1000;
    /** Dead letters and pending events hold up to a megabyte each: a batch of those is cut by size, not by count. */
    static final long BATCH_CHARS = 8L * 1024 * 1024;
    /** A line of progress per this many rows of one table, so a ledger of millions shows it moves. */
    static final long PROGRESS_EVERY = 100_000;
    /** How long the copy waits for another session's locks on the target's tables before it gives up. */
    static final int LOCK_WAIT_SECONDS = 5;

    /** The copy did not happen (or was undone), for a reason the operator can act on; the message names it. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** What one table's copy did. {@code nextId}: where its identity column continues on the target, or -1. */
    public record Table(String name, long rows, long nextId) {
    }

    /** What the whole copy did: the tables copied, in order, and the target's tables the source had no rows for. */
    public record Result(List<Table> tables, List<String> targetOnly) {
        public long rows() {
            return tables.stream().mapToLong(Table::rows).sum();
        }
    }

    private StateCopy() {
    }

    /** A column of a table: its name as that database spells it, and (on the target) its JDBC type. */
    private record Column(String name, int jdbcType) {
    }

    /**
     * Copies {@code source} (the embedded H2 state) into {@code target} (PostgreSQL), printing a line per table.
     *
     * @throws Refused      when the target is not empty, is in use, or lacks a table or column the source has; nothing
     *                      was written
     * @throws SQLException when a database failed; the target's transaction was rolled back
     */
    public static Result copy(DataSource source, DataSource target, PrintStream out) throws Refused, SQLException {
        try (Connection from = source.getConnection(); Connection to = target.getConnection()) {
            from.setReadOnly(true);
            // H2 otherwise builds a query's whole result before the first row (in memory up to MAX_MEMORY_ROWS rows,
            // whatever their size): a table of megabyte dead letters must stream instead. Each table is read by one
            // query at a time on this connection, as lazy execution requires.
            try (Statement lazy = from.createStatement()) {
                lazy.execute("SET LAZY_QUERY_EXECUTION TRUE");
            }
            Map<String, String> sourceTables = tables(from);
            Map<String, String> targetTables = tables(to);
            List<String> missing = sourceTables.keySet().stream().filter(table -> !targetTables.containsKey(table)).toList();
            if (!missing.isEmpty()) {
                throw new Refused("the PostgreSQL database has no table " + String.join(", ", missing) + " that the H2 state has:"
                        + " its schema is older or newer than this bridge's; run copy-state of the bridge version that wrote the H2 state");
            }
            Map<String, List<Column>> sourceColumns = new LinkedHashMap<>();
            Map<String, Map<String, Column>> targetColumns = new LinkedHashMap<>();
            for (String table : sourceTables.keySet()) {
                sourceColumns.put(table, columns(from, sourceTables.get(table)));
                Map<String, Column> byName = new LinkedHashMap<>();
                columns(to, targetTables.get(table)).forEach(column -> byName.put(lower(column.name()), column));
                targetColumns.put(table, byName);
                List<String> lacking = sourceColumns.get(table).stream().map(column -> lower(column.name()))
                        .filter(column -> !byName.containsKey(column)).toList();
                if (!lacking.isEmpty()) {
                    throw new Refused("the PostgreSQL table " + table + " has no column " + String.join(", ", lacking)
                            + " that the H2 state has: its schema differs from this bridge's");
                }
            }
            List<String> order = parentsFirst(to, sourceTables.keySet(), targetTables);

            to.setAutoCommit(false);
            try {
                lockAgainstWriters(to, targetTables.values());
                refuseRows(to, targetTables);
                List<Table> copied = new ArrayList<>();
                for (String table : order) {
                    copied.add(copyTable(from, to, table, sourceTables.get(table), targetTables.get(table),
                            sourceColumns.get(table), targetColumns.get(table), out));
                }
                to.commit();
                List<String> targetOnly = targetTables.keySet().stream().filter(table -> !sourceTables.containsKey(table)).toList();
                return new Result(copied, targetOnly);
            } catch (Refused | SQLException | RuntimeException e) {
                rollbackQuietly(to, e);
                throw e;
            }
        }
    }

    /** The base tables of the connection's current schema, by lower-case name, Flyway's history aside. */
    private static Map<String, String> tables(Connection connection) throws SQLException {
        Map<String, String> tables = new LinkedHashMap<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT table_name FROM information_schema.tables"
                     + " WHERE table_schema = CURRENT_SCHEMA AND table_type = 'BASE TABLE' ORDER BY table_name")) {
            while (rows.next()) {
                String name = rows.getString(1);
                if (!lower(name).equals(FLYWAY_HISTORY)) {
                    tables.put(lower(name), name);
                }
            }
        }
        return tables;
    }

    /** A table's columns in their order (JDBC metadata; the name pattern's {@code _} is a wildcard, so names are matched exactly). */
    private static List<Column> columns(Connection connection, String table) throws SQLException {
        List<Column> columns = new ArrayList<>();
        try (ResultSet rows = connection.getMetaData().getColumns(connection.getCatalog(), connection.getSchema(), table, "%")) {
            while (rows.next()) {
                if (rows.getString("TABLE_NAME").equals(table)) {
                    columns.add(new Column(rows.getString("COLUMN_NAME"), rows.getInt("DATA_TYPE")));
                }
            }
        }
        return columns;
    }

    /** The tables in an order where each comes after the tables its foreign keys (on the target) refer to. */
    private static List<String> parentsFirst(Connection target, Set<String> tables, Map<String, String> targetNames)
            throws SQLException {
        Map<String, Set<String>> parents = new LinkedHashMap<>();
        for (String table : tables) {
            Set<String> referenced = new LinkedHashSet<>();
            try (ResultSet keys = target.getMetaData().getImportedKeys(target.getCatalog(), target.getSchema(), targetNames.get(table))) {
                while (keys.next()) {
                    String parent = lower(keys.getString("PKTABLE_NAME"));
                    if (!parent.equals(table) && tables.contains(parent)) {
                        referenced.add(parent);
                    }
                }
            }
            parents.put(table, referenced);
        }
        List<String> order = new ArrayList<>();
        Set<String> visiting = new LinkedHashSet<>();
        for (String table : tables) {
            visit(table, parents, visiting, order);
        }
        return order;
    }

    private static void visit(String table, Map<String, Set<String>> parents, Set<String> visiting, List<String> order) {
        if (order.contains(table) || !visiting.add(table)) {
            return; // done, or a cycle: its rows go in the order found, and PostgreSQL names the key if that fails
        }
        for (String parent : parents.get(table)) {
            visit(parent, parents, visiting, order);
        }
        order.add(table);
    }

    /**
     * Locks every table of the target against other writers until the copy commits: a bridge started on the database
     * meanwhile waits, and one already writing makes the copy stop here, rather than both filling it.
     */
    private static void lockAgainstWriters(Connection to, java.util.Collection<String> tables) throws SQLException, Refused {
        if (tables.isEmpty()) {
            return;
        }
        try (Statement statement = to.createStatement()) {
            statement.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT_SECONDS + "s'");
            statement.execute("LOCK TABLE " + tables.stream().map(StateCopy::quoted).collect(Collectors.joining(", "))
                    + " IN EXCLUSIVE MODE");
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                throw new Refused("the PostgreSQL database is in use: another session held its tables for more than "
                        + LOCK_WAIT_SECONDS + " s. Stop every bridge that uses it and run copy-state again");
            }
            throw e;
        }
    }

    /** Refuses a target where any table (but those a migration fills) holds a row: the copy never merges. */
    private static void refuseRows(Connection to, Map<String, String> targetTables) throws SQLException, Refused {
        List<String> used = new ArrayList<>();
        try (Statement statement = to.createStatement()) {
            for (Map.Entry<String, String> table : targetTables.entrySet()) {
                if (SEEDED_BY_MIGRATIONS.contains(table.getKey())) {
                    continue;
                }
                try (ResultSet any = statement.executeQuery("SELECT 1 FROM " + quoted(table.getValue()) + " LIMIT 1")) {
                    if (any.next()) {
                        used.add(table.getKey());
                    }
                }
            }
        }
        if (!used.isEmpty()) {
            throw new Refused("the PostgreSQL database already holds state: " + (used.size() == 1 ? "table " : "tables ")
                    + String.join(", ", used) + (used.size() == 1 ? " has rows" : " have rows") + ". copy-state fills an empty database only and never"
                    + " merges: give it a new database (CREATE DATABASE ... OWNER ...), or drop this one's tables if nothing in"
                    + " them is needed");
        }
    }

    private static Table copyTable(Connection from, Connection to, String table, String sourceName, String targetName,
                                   List<Column> sourceColumns, Map<String, Column> targetColumns, PrintStream out)
            throws SQLException {
        long expected = count(from, sourceName);
        if (SEEDED_BY_MIGRATIONS.contains(table)) {
            try (Statement statement = to.createStatement()) {
                statement.executeUpdate("DELETE FROM " + quoted(targetName));
            }
        }
        List<Column> targets = sourceColumns.stream().map(column -> targetColumns.get(lower(column.name()))).toList();
        String select = "SELECT " + sourceColumns.stream().map(column -> quoted(column.name())).collect(Collectors.joining(", "))
                + " FROM " + quoted(sourceName);
        String insert = "INSERT INTO " + quoted(targetName) + " (" + targets.stream().map(column -> quoted(column.name()))
                .collect(Collectors.joining(", ")) + ") VALUES (" + "?, ".repeat(targets.size() - 1) + "?)";
        long copied = 0;
        long nextProgress = PROGRESS_EVERY;
        try (Statement reading = from.createStatement(); PreparedStatement writing = to.prepareStatement(insert)) {
            reading.setFetchSize(BATCH_ROWS);
            try (ResultSet rows = reading.executeQuery(select)) {
                int batched = 0;
                long chars = 0;
                while (rows.next()) {
                    for (int i = 0; i < targets.size(); i++) {
                        Object value = portable(rows.getObject(i + 1));
                        if (value == null) {
                            writing.setNull(i + 1, targets.get(i).jdbcType());
                        } else {
                            writing.setObject(i + 1, value);
                            chars += value instanceof String text ? text.length() : value instanceof byte[] bytes ? bytes.length : 16;
                        }
                    }
                    writing.addBatch();
                    batched++;
                    if (batched >= BATCH_ROWS || chars >= BATCH_CHARS) {
                        copied += send(writing, table, copied);
                        batched = 0;
                        chars = 0;
                        if (copied >= nextProgress && copied < expected) {
                            out.println("  " + table + ": " + copied + " of " + expected + " rows so far");
                            nextProgress = (copied / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
                        }
                    }
                }
                if (batched > 0) {
                    copied += send(writing, table, copied);
                }
            }
        }
        long written = count(to, targetName);
        if (written != expected || copied != expected) {
            throw new SQLException("copying " + table + ": the H2 state has " + expected + " rows, " + written
                    + " are in PostgreSQL after copying " + copied);
        }
        long nextId = continueIdentity(from, to, sourceName, targetName, targetColumns.values());
        out.println("  " + table + ": " + copied + (copied == 1 ? " row" : " rows")
                + (nextId > 1 ? " (its ids continue at " + nextId + ")" : ""));
        return new Table(table, copied, nextId);
    }

    /** What JDBC reads from H2, in a form any driver takes: large objects are read whole. */
    private static Object portable(Object value) throws SQLException {
        if (value instanceof Clob clob) {
            return clob.getSubString(1, Math.toIntExact(clob.length()));
        }
        if (value instanceof Blob blob) {
            return blob.getBytes(1, Math.toIntExact(blob.length()));
        }
        return value;
    }

    private static int send(PreparedStatement writing, String table, long before) throws SQLException {
        try {
            int sent = 0;
            for (int count : writing.executeBatch()) {
                sent += count == Statement.SUCCESS_NO_INFO ? 1 : count;
            }
            return sent;
        } catch (BatchUpdateException e) {
            // The driver's batch error says little; the statement's own error (next exception) says which value failed.
            SQLException why = e.getNextException() != null ? e.getNextException() : e;
            throw new SQLException("copying " + table + " failed in the rows after the first " + before + ": " + firstLine(why),
                    why.getSQLState(), why);
        }
    }

    /**
     * Sets the sequence of each identity (or serial) column of the target past the largest id copied, and past the next
     * value H2 would have handed out: ids H2 gave to rows deleted since are not given again.
     *
     * @return the id the next row gets, or -1 when the table has no such column
     */
    private static long continueIdentity(Connection from, Connection to, String sourceName, String targetName,
                                         java.util.Collection<Column> targetColumns) throws SQLException {
        long next = -1;
        for (Column column : targetColumns) {
            String sequence;
            try (PreparedStatement find = to.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
                find.setString(1, quoted(targetName));
                find.setString(2, column.name());
                try (ResultSet found = find.executeQuery()) {
                    sequence = found.next() ? found.getString(1) : null;
                }
            }
            if (sequence == null) {
                continue;
            }
            long after = Math.max(maxOf(to, targetName, column.name()) + 1, h2IdentityBase(from, sourceName, column.name()));
            if (after > 1) {
                try (PreparedStatement set = to.prepareStatement("SELECT setval(?::regclass, ?, false)")) {
                    set.setString(1, sequence);
                    set.setLong(2, after);
                    set.executeQuery().close();
                }
            }
            next = Math.max(after, 1);
        }
        return next;
    }

    private static long maxOf(Connection connection, String table, String column) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet max = statement.executeQuery("SELECT MAX(" + quoted(column) + ") FROM " + quoted(table))) {
            max.next();
            long value = max.getLong(1);
            return max.wasNull() ? 0 : value;
        }
    }

    /** The next value of an H2 identity column (H2's information schema, IDENTITY_BASE), or 0 when it is none. */
    private static long h2IdentityBase(Connection from, String table, String targetColumn) throws SQLException {
        try (PreparedStatement base = from.prepareStatement("SELECT IDENTITY_BASE FROM INFORMATION_SCHEMA.COLUMNS"
                + " WHERE TABLE_SCHEMA = CURRENT_SCHEMA AND TABLE_NAME = ? AND LOWER(COLUMN_NAME) = ? AND IS_IDENTITY = 'YES'")) {
            base.setString(1, table);
            base.setString(2, lower(targetColumn));
            try (ResultSet found = base.executeQuery()) {
                if (found.next()) {
                    long value = found.getLong(1);
                    return found.wasNull() ? 0 : value;
                }
            }
        }
        return 0;
    }

    private static long count(Connection connection, String table) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet count = statement.executeQuery("SELECT COUNT(*) FROM " + quoted(table))) {
            count.next();
            return count.getLong(1);
        }
    }

    private static void rollbackQuietly(Connection to, Exception cause) {
        try {
            to.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** A name as the database spells it, quoted: H2's are upper-case, PostgreSQL's lower-case. */
    private static String quoted(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static String firstLine(SQLException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = message.indexOf('\n');
        return (newline >= 0 ? message.substring(0, newline) : message).strip();
    }
}
