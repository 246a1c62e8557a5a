package org.segmentbridge.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A store of the state database that keeps rows about persons, and removes them when a person is erased. Each store
 * deletes only from its own tables; the erasure calls every store in one transaction, so a person is either gone from
 * all of them or from none.
 */
public interface ErasesPeople {

    /**
     * Deletes this store's rows about the person, within the erasure's transaction (the caller commits).
     *
     * @return what was removed, as counts and never values, for the audit log: e.g. {@code dead letters: 2}
     */
    String erase(Connection transaction, PersonKeys person) throws SQLException;

    /** A LIKE pattern (with {@code ESCAPE '\\'}) matching text that contains {@code value} anywhere. */
    static String containing(String value) {
        return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }

    /** One {@code DELETE} with one string parameter; answers how many rows went. */
    static int delete(Connection transaction, String sql, String value) throws SQLException {
        try (PreparedStatement statement = transaction.prepareStatement(sql)) {
            statement.setString(1, value);
            return statement.executeUpdate();
        }
    }
}
