package org.segmentbridge.deadletters;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.TextNode;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;

/**
 * Events a destination gave up on, kept with the reason and the vendor's answer so an operator can read, replay or
 * discard them. They hold the event and the item the action prepared, never a request's credentials.
 */
public final class DeadLetters implements ErasesPeople {

    /** One dead letter. {@code status} is the vendor's HTTP status (0 when none was reached). */
    public record DeadLetter(String id, String destination, String action, String messageId, String event, String item,
                             int attempts, int status, String code, String reason, Instant createdAt) {
    }

    private final StateStore stateStore;

    /**
     * The destination of a dead letter the processor wrote, before the event had any; its action is the event's kind
     * on the intake log ({@code EVENT} or {@code REPORT}), and a replay appends it to the intake log again.
     */
    public static final String PROCESSOR = "processor";

    public DeadLetters(StateStore stateStore) {
        this.stateStore = stateStore;
    }

    public DeadLetter add(String destination, String action, String messageId, String event, String item,
                          int attempts, int status, String code, String reason) {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            return add(connection, destination, action, messageId, event, item, attempts, status, code, reason);
        } catch (SQLException e) {
            throw new IllegalStateException("could not store a dead letter for " + destination + ": " + e.getMessage(), e);
        }
    }

    /** The same, within the caller's transaction: it is kept only if that commits. */
    public DeadLetter add(Connection transaction, String destination, String action, String messageId, String event,
                          String item, int attempts, int status, String code, String reason) throws SQLException {
        DeadLetter letter = new DeadLetter(UUID.randomUUID().toString(), destination, action, messageId, event, item,
                attempts, status, code, reason, Instant.now());
        try (PreparedStatement insert = transaction.prepareStatement("""
                     INSERT INTO dead_letter (id, destination, action, message_id, event, item, attempts, status, code, reason, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setString(1, letter.id());
            insert.setString(2, destination);
            insert.setString(3, action);
            insert.setString(4, messageId);
            insert.setString(5, event);
            insert.setString(6, item);
            insert.setInt(7, attempts);
            insert.setInt(8, status);
            insert.setString(9, code);
            insert.setString(10, reason);
            insert.setTimestamp(11, Timestamp.from(letter.createdAt()));
            insert.executeUpdate();
            return letter;
        }
    }

    /**
     * Which dead letters to list: each part null for any. {@code reason} is looked for, ignoring case, in the reason
     * and in the vendor's code.
     */
    public record Filter(String destination, String action, String reason) {

        public static final Filter ALL = new Filter(null, null, null);

        public static Filter destination(String destination) {
            return new Filter(destination, null, null);
        }
    }

    /** Newest first; {@code destination} null for all. */
    public List<DeadLetter> list(String destination, int limit) {
        return list(Filter.destination(destination), limit);
    }

    /** Newest first. */
    public List<DeadLetter> list(Filter filter, int limit) {
        List<String> conditions = new ArrayList<>();
        List<String> values = new ArrayList<>();
        if (filter.destination() != null) {
            conditions.add("destination = ?");
            values.add(filter.destination());
        }
        if (filter.action() != null) {
            conditions.add("action = ?");
            values.add(filter.action());
        }
        if (filter.reason() != null) {
            conditions.add("(LOWER(reason) LIKE ? ESCAPE '\\' OR LOWER(code) LIKE ? ESCAPE '\\')");
            String pattern = ErasesPeople.containing(filter.reason().toLowerCase(Locale.ROOT));
            values.add(pattern);
            values.add(pattern);
        }
        String sql = "SELECT * FROM dead_letter" + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions))
                + " ORDER BY created_at DESC, id LIMIT ?";
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(sql)) {
            int index = 1;
            for (String value : values) {
                query.setString(index++, value);
            }
            query.setInt(index, limit);
            return read(query);
        } catch (SQLException e) {
            throw new IllegalStateException("could not read dead letters: " + e.getMessage(), e);
        }
    }

    public Optional<DeadLetter> find(String id) {
        if (!isDeadLetterId(id)) {
            return Optional.empty();
        }
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT * FROM dead_letter WHERE id = ?")) {
            query.setString(1, id);
            return read(query).stream().findFirst();
        } catch (SQLException e) {
            throw new IllegalStateException("could not read dead letter " + id + ": " + e.getMessage(), e);
        }
    }

    public boolean remove(String id) {
        if (!isDeadLetterId(id)) {
            return false;
        }
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement delete = connection.prepareStatement("DELETE FROM dead_letter WHERE id = ?")) {
            delete.setString(1, id);
            return delete.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new IllegalStateException("could not discard dead letter " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether an id from a request can name a dead letter: they are all UUIDs. Anything else is not looked up, so
     * text the database cannot compare (a NUL character fails the statement on PostgreSQL) answers "not found".
     */
    private static boolean isDeadLetterId(String id) {
        return id != null && DEAD_LETTER_ID.matcher(id).matches();
    }

    private static final java.util.regex.Pattern DEAD_LETTER_ID = java.util.regex.Pattern.compile("[0-9a-fA-F-]{36}");

    public long count(String destination) {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT COUNT(*) FROM dead_letter WHERE destination = ?")) {
            query.setString(1, destination);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    /**
     * Dead letters hold whole events: any that names one of the person's keys or ids as a JSON string goes, compared
     * ignoring case.
     */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        Set<String> values = new LinkedHashSet<>(person.keys());
        values.addAll(person.userIds());
        values.addAll(person.anonymousIds());
        int deadLetters = 0;
        for (String value : values) {
            deadLetters += ErasesPeople.delete(transaction, "DELETE FROM dead_letter WHERE LOWER(event) LIKE ? ESCAPE '\\'",
                    ErasesPeople.containing(TextNode.valueOf(value.toLowerCase(Locale.ROOT)).toString()));
        }
        return "dead letters: " + deadLetters;
    }

    private static List<DeadLetter> read(PreparedStatement query) throws SQLException {
        List<DeadLetter> letters = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                letters.add(new DeadLetter(rows.getString("id"), rows.getString("destination"), rows.getString("action"),
                        rows.getString("message_id"), rows.getString("event"), rows.getString("item"), rows.getInt("attempts"),
                        rows.getInt("status"), rows.getString("code"), rows.getString("reason"),
                        rows.getTimestamp("created_at").toInstant()));
            }
        }
        return letters;
    }
}
