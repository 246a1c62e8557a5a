package org.segmentbridge.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest requests built in dry-run (already masked: no credential is ever stored), newest first. They live in the
 * state database, so that any bridge of a cluster lists what every bridge recorded, bounded to the newest
 * {@code capacity} so a busy destination in dry-run does not fill the database.
 */
public final class DryRunRecorder implements ErasesPeople {

    private static final Logger LOG = LoggerFactory.getLogger(DryRunRecorder.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Old rows are removed every this many records, not on every one. */
    private static final int TRIM_EVERY = 50;

    public record Recorded(Instant at, String destination, String action, int items, OutboundRequest request) {
    }

    private final StateStore stateStore;
    private final int capacity;
    private final AtomicLong recorded = new AtomicLong();

    public DryRunRecorder(StateStore stateStore, int capacity) {
        this.stateStore = stateStore;
        this.capacity = capacity;
    }

    /**
     * Keeps the request. A request that cannot be kept (the database is unavailable) is logged instead: it was a
     * preview, and the event it was built for is settled either way.
     */
    public void record(Recorded request) {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO dry_run_record (recorded_at, destination, action, items, method, url, headers, body)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")) {
            insert.setTimestamp(1, Timestamp.from(request.at()));
            insert.setString(2, request.destination());
            insert.setString(3, request.action());
            insert.setInt(4, request.items());
            insert.setString(5, request.request().method());
            insert.setString(6, request.request().uri().toString());
            insert.setString(7, JSON.writeValueAsString(request.request().headers()));
            insert.setString(8, request.request().bodyText());
            insert.executeUpdate();
            if (recorded.incrementAndGet() % TRIM_EVERY == 0) {
                trim(connection);
            }
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            LOG.warn("Destination {} (dry-run): the request to {} {} could not be kept for /admin/dry-run: {}",
                    request.destination(), request.request().method(), request.request().uri(), e.getMessage());
        }
    }

    private void trim(Connection connection) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM dry_run_record WHERE id <= (SELECT MAX(id) FROM dry_run_record) - ?")) {
            delete.setLong(1, capacity);
            delete.executeUpdate();
        }
    }

    /** Newest first; {@code destination} null for all. */
    public List<Recorded> recent(String destination, int limit) {
        String sql = "SELECT * FROM dry_run_record" + (destination == null ? "" : " WHERE destination = ?")
                + " ORDER BY id DESC LIMIT ?";
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(sql)) {
            int index = 1;
            if (destination != null) {
                query.setString(index++, destination);
            }
            query.setInt(index, Math.min(limit, capacity));
            List<Recorded> found = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    Map<String, String> headers = JSON.readValue(rows.getString("headers"), new TypeReference<LinkedHashMap<String, String>>() { });
                    found.add(new Recorded(rows.getTimestamp("recorded_at").toInstant(), rows.getString("destination"),
                            rows.getString("action"), rows.getInt("items"), new OutboundRequest(rows.getString("method"),
                            URI.create(rows.getString("url")), headers, rows.getString("body").getBytes(StandardCharsets.UTF_8))));
                }
            }
            return found;
        } catch (SQLException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the dry-run records could not be read: " + e.getMessage(), e);
        }
    }

    /** A recorded request names the person in its body or its URL: such records go with the person. */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        java.util.Set<String> values = new java.util.LinkedHashSet<>(person.keys());
        values.addAll(person.userIds());
        values.addAll(person.anonymousIds());
        int removed = 0;
        for (String value : values) {
            String pattern = ErasesPeople.containing(value.toLowerCase(java.util.Locale.ROOT));
            try (PreparedStatement delete = transaction.prepareStatement(
                    "DELETE FROM dry_run_record WHERE LOWER(body) LIKE ? ESCAPE '\\' OR LOWER(url) LIKE ? ESCAPE '\\'")) {
                delete.setString(1, pattern);
                delete.setString(2, pattern);
                removed += delete.executeUpdate();
            }
        }
        return "dry-run records: " + removed;
    }
}
