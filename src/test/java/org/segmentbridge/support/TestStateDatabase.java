package org.segmentbridge.support;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which state database the tests' bridges use: the embedded H2 file (the default), or with
 * {@code -Dbridge.test.state=postgresql} (the second pass of {@code .ci/run}) PostgreSQL, on one throwaway server
 * started once per JVM ({@link PostgresServer#shared()}).
 *
 * <p>On PostgreSQL each data folder gets a database of its own, made the first time a bridge starts on it: tests stay
 * as isolated as with a file under each data folder, and a bridge restarted on the same folder finds its state again.
 */
public final class TestStateDatabase {

    public static final String PROPERTY = "bridge.test.state";

    private static final Map<Path, String> DATABASES = new ConcurrentHashMap<>();
    private static final AtomicInteger CREATED = new AtomicInteger();

    private TestStateDatabase() {
    }

    /** True in the pass that keeps the state on PostgreSQL, and in the cluster pass, which needs it there. */
    public static boolean postgresql() {
        if (TestEventLog.kafka()) {
            return true;
        }
        String state = System.getProperty(PROPERTY, "h2").trim();
        if (state.equalsIgnoreCase("postgresql")) {
            return true;
        }
        if (state.isEmpty() || state.equalsIgnoreCase("h2")) {
            return false;
        }
        throw new IllegalStateException("-D" + PROPERTY + "=" + state + ": use h2 or postgresql");
    }

    /** The bridge's state settings for a bridge on this data folder: none for H2 (the file under the folder). */
    public static Map<String, String> settingsFor(Path dataDir) {
        return postgresql() ? PostgresServer.shared().settings(databaseFor(dataDir)) : Map.of();
    }

    /** The same as environment variables, for a bridge in its own process. */
    public static Map<String, String> environmentFor(Path dataDir) {
        return postgresql() ? PostgresServer.shared().environment(databaseFor(dataDir)) : Map.of();
    }

    private static String databaseFor(Path dataDir) {
        return DATABASES.computeIfAbsent(dataDir.toAbsolutePath().normalize(),
                folder -> PostgresServer.shared().createDatabase("bridge_test_" + CREATED.incrementAndGet()));
    }
}
