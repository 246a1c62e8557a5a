package org.segmentbridge.support;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.segmentbridge.state.StateStore;

/**
 * One state database that several bridges share, as N bridge processes share one PostgreSQL database in cluster mode:
 * each {@link #newStore()} is a bridge's own store, with its own connection pool, and whatever the bridge builds on it
 * (identity store, suppression store, caches) is its own too. On the tests' throwaway PostgreSQL server
 * ({@link PostgresServer#shared()}), a new database each time; or on one in-memory H2 database, to run the same
 * statements (the same row locks) on H2.
 */
public final class SharedStateDatabase implements AutoCloseable {

    private final String jdbcUrl;
    private final String username;
    private final String password;
    private final Path unusedDataDir;
    private final List<StateStore> stores = new ArrayList<>();

    private SharedStateDatabase(String jdbcUrl, String username, String password) {
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
        try {
            // A store on a server URL keeps nothing in its data folder; the constructor still takes one.
            this.unusedDataDir = TestFolders.create("shared-state-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new, empty database on the tests' PostgreSQL server. */
    public static SharedStateDatabase postgresql() {
        PostgresServer server = PostgresServer.shared();
        String database = server.createDatabase("shared_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16));
        return new SharedStateDatabase(server.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD);
    }

    /** A new, empty in-memory H2 database, kept while any store has it open; the bridge's own lock timeout. */
    public static SharedStateDatabase h2() {
        return new SharedStateDatabase("jdbc:h2:mem:shared_" + UUID.randomUUID().toString().replace("-", "")
                + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "bridge", "");
    }

    /** By name, for parameterized tests: {@code postgresql} or {@code h2}. */
    public static SharedStateDatabase named(String engine) {
        return switch (engine.toLowerCase(Locale.ROOT)) {
            case "postgresql" -> postgresql();
            case "h2" -> h2();
            default -> throw new IllegalArgumentException(engine);
        };
    }

    /** A case that runs on one store of a fresh database. */
    public interface StoreCase {
        void run(StateStore store) throws Exception;
    }

    /** Runs the case on a store of a new, empty database of the engine ({@link #named}), dropped after it. */
    public static void onFreshStore(String engine, StoreCase body) throws Exception {
        try (SharedStateDatabase database = named(engine)) {
            body.run(database.newStore());
        }
    }

    /** The settings that put a booted bridge's state in this database. */
    public Map<String, String> bridgeSettings() {
        return Map.of("bridge.state.jdbc-url", jdbcUrl, "bridge.state.username", username, "bridge.state.password", password);
    }

    /** One more bridge's store on the database, started (the first one migrates the schema). */
    public synchronized StateStore newStore() {
        StateStore store = new StateStore(jdbcUrl, username, password, unusedDataDir);
        store.start();
        stores.add(store);
        return store;
    }

    @Override
    public synchronized void close() {
        for (StateStore store : stores) {
            store.stop();
        }
        stores.clear();
        if (jdbcUrl.startsWith("jdbc:h2:mem:")) {
            // DB_CLOSE_DELAY=-1 keeps it for the JVM's life; drop it now.
            try (java.sql.Connection connection = java.sql.DriverManager.getConnection(jdbcUrl, username, password);
                 java.sql.Statement statement = connection.createStatement()) {
                statement.execute("SHUTDOWN");
            } catch (java.sql.SQLException e) {
                // already gone
            }
        }
    }
}
