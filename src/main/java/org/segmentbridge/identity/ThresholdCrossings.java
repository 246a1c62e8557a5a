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
     * @return false when the person was already remembered on that side
     */
    boolean moved(String name, String userId, String anonymousId, boolean above) throws SQLException {
        String person = identity.personIdOf(userId, anonymousId).orElse(unknownPerson(userId, anonymousId));
        try (Connection connection = stateStore.dataSource().getConnection()) {
            Optional<Boolean> wasAbove = wasAbove(connection, name, person);
            if (wasAbove.isPresent() && wasAbove.get() == above) {
                return false;
            }
            remember(connection, name, person, above, wasAbove.isPresent());
            return true;
        }
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

    private static void remember(Connection connection, String name, String person, boolean above, boolean known) throws SQLException {
        String sql = known
                ? "UPDATE threshold_crossing SET above = ?, changed_at = ? WHERE name = ? AND person = ?"
                : "INSERT INTO threshold_crossing (above, changed_at, name, person) VALUES (?, ?, ?, ?)";
        try (PreparedStatement write = connection.prepareStatement(sql)) {
            write.setBoolean(1, above);
            write.setTimestamp(2, Timestamp.from(Instant.now()));
            write.setString(3, name);
            write.setString(4, person);
            write.executeUpdate();
        }
    }
}
