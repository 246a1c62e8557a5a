package org.segmentbridge.identity;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;

/**
 * The threshold memories of {@code crossing:} and {@code once:} (table {@code threshold_crossing}): for each rule and
 * person, whether the person was last seen above the threshold. A person is kept under their identity store id, or
 * under their userId or anonymousId behind its kind while the identity store does not know them.
 */
public final class ThresholdCrossings implements ErasesPeople {

    private final StateStore stateStore;
    private final IdentityStore identity;

    public ThresholdCrossings(StateStore stateStore, IdentityStore identity) {
        this.stateStore = stateStore;
        this.identity = identity;
    }

    /**
     * Remembers which side of rule {@code name}'s threshold the event's person is now on.
     *
     * <p>Several bridges may weigh events of one person at the same moment, so the move is decided by the database,
     * never by what was read before: the side is changed by an update that only applies while the row is still on the
     * other side, and a first memory by an insert the primary key lets through once. Of two bridges moving the same
     * person the same way, one changes a row and fires; the other changes none (its update waits for the first and
     * then finds the row on the new side, or its insert meets the first one's row) and does not. The person is read
     * afresh, never from a memory another bridge's merge could have made stale.
     *
     * @return false when the person was already remembered on that side
     */
    boolean moved(String name, String userId, String anonymousId, boolean above) throws SQLException {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            String person = identity.currentPersonIdOf(connection, userId, anonymousId).orElse(unknownPerson(userId, anonymousId));
            Optional<Boolean> wasAbove = wasAbove(connection, name, person);
            if (wasAbove.isPresent()) {
                // Usually the same side, decided by the one read; a move is the update's to decide.
                return wasAbove.get() != above && moveTo(connection, name, person, above);
            }
            try {
                rememberFirst(connection, name, person, above);
                return true;
            } catch (SQLException e) {
                if (!isKeyViolation(e)) {
                    throw e;
                }
                // Another bridge remembered the person a moment ago: move from where it put them, if it is the other side.
                return moveTo(connection, name, person, above);
            }
        }
    }

    /** SQLSTATE class 23, integrity constraint violation: the same on H2 and PostgreSQL. */
    private static boolean isKeyViolation(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("23");
    }

    /** Every rule's memory of the person, under each name they may be kept by. */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        int crossings = 0;
        for (String personId : person.personIds()) {
            crossings += ErasesPeople.delete(transaction, "DELETE FROM threshold_crossing WHERE person = ?", personId);
        }
        for (String userId : person.userIds()) {
            crossings += ErasesPeople.delete(transaction, "DELETE FROM threshold_crossing WHERE person = ?", unknownPerson(userId, null));
        }
        for (String anonymousId : person.anonymousIds()) {
            crossings += ErasesPeople.delete(transaction, "DELETE FROM threshold_crossing WHERE person = ?", unknownPerson(null, anonymousId));
        }
        return "threshold memories: " + crossings;
    }

    /** A person the identity store does not know: their userId, else their anonymousId, behind its kind. */
    private static String unknownPerson(String userId, String anonymousId) {
        return userId != null ? "user:" + userId : "anonymous:" + anonymousId;
    }

    private static Optional<Boolean> wasAbove(Connection connection, String name, String person) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT above FROM threshold_crossing WHERE name = ? AND person = ?")) {
            query.setString(1, name);
            query.setString(2, person);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(rows.getBoolean(1)) : Optional.empty();
            }
        }
    }

    /** True when this call moved the person to {@code above}; false when they were on that side already. */
    private static boolean moveTo(Connection connection, String name, String person, boolean above) throws SQLException {
        try (PreparedStatement write = connection.prepareStatement(
                "UPDATE threshold_crossing SET above = ?, changed_at = ? WHERE name = ? AND person = ? AND above <> ?")) {
            write.setBoolean(1, above);
            write.setTimestamp(2, Timestamp.from(Instant.now()));
            write.setString(3, name);
            write.setString(4, person);
            write.setBoolean(5, above);
            return write.executeUpdate() == 1;
        }
    }

    private static void rememberFirst(Connection connection, String name, String person, boolean above) throws SQLException {
        try (PreparedStatement write = connection.prepareStatement(
                "INSERT INTO threshold_crossing (above, changed_at, name, person) VALUES (?, ?, ?, ?)")) {
            write.setBoolean(1, above);
            write.setTimestamp(2, Timestamp.from(Instant.now()));
            write.setString(3, name);
            write.setString(4, person);
            write.executeUpdate();
        }
    }
}
