package org.segmentbridge.state;

import java.util.Locale;

/**
 * The SQL databases the state can live in: the embedded H2 file (the default) and PostgreSQL, whose drivers are both
 * inside the jar. Nearly every statement is the same on both; a store asks for the dialect only where no portable
 * form does the job (see {@code intake.MessageLedger}).
 */
public enum StateDialect {

    H2,
    POSTGRESQL;

    /**
     * The dialect of a {@code bridge.state.jdbc-url}.
     *
     * @throws IllegalArgumentException for any other database: its driver is not in the jar, and {@code java -jar}
     *                                  ignores {@code -cp}, so it could not be reached anyway
     */
    public static StateDialect of(String jdbcUrl) {
        String url = jdbcUrl.trim().toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        if (url.startsWith("jdbc:h2:")) {
            return H2;
        }
        String scheme = url.startsWith("jdbc:") && url.indexOf(':', 5) > 0 ? url.substring(0, url.indexOf(':', 5) + 1) : "";
        throw new IllegalArgumentException("Setting bridge.state.jdbc-url: " + (scheme.isEmpty() ? "not a JDBC URL"
                : scheme + " is not supported") + "; the state database is PostgreSQL (jdbc:postgresql://host:5432/database)"
                + " or, when the setting is empty, the embedded H2 file");
    }
}
