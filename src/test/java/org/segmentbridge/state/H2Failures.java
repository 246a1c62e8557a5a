package org.segmentbridge.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/** Ways for a test to make the embedded state database fail, through H2's own failure handling. */
public final class H2Failures {

    private H2Failures() {
    }

    /**
     * Called by H2 as the SQL function {@code STATE_TEST_OUT_OF_MEMORY}: answers H2's out-of-memory error (90108). H2
     * treats it as it treats an {@code OutOfMemoryError} inside a statement: it closes the database at once
     * ({@code Database.shutdownImmediately}), and every other connection then gets 90098 "The database has been
     * closed" while {@code isValid} still answers true.
     */
    public static int outOfMemory() throws SQLException {
        throw new SQLException("Out of memory (simulated by a test)", "90108", 90108, new OutOfMemoryError("Java heap space (simulated)"));
    }

    /** Makes H2 close the database as after an out-of-memory error in a statement; answers the error the statement got. */
    public static SQLException outOfMemoryThrough(Connection connection) {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE ALIAS IF NOT EXISTS STATE_TEST_OUT_OF_MEMORY FOR \"" + H2Failures.class.getName() + ".outOfMemory\"");
            statement.execute("CALL STATE_TEST_OUT_OF_MEMORY()");
        } catch (SQLException expected) {
            return expected;
        }
        throw new AssertionError("H2 did not fail");
    }

    /** Runs {@code SHUTDOWN} or {@code SHUTDOWN IMMEDIATELY} through {@code connection}. */
    public static void shutdownThrough(Connection connection, boolean immediately) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(immediately ? "SHUTDOWN IMMEDIATELY" : "SHUTDOWN");
        }
    }

    /**
     * Takes the lock H2 takes on the database file, so H2 cannot open it (it answers 90020) until the lock is closed:
     * a database that stays unavailable for a while. Waits up to {@code wait} for H2 to let go of the file.
     */
    public static AutoCloseable lockDatabaseFile(Path dataDir, Duration wait) throws IOException {
        Path file = dataDir.resolve("state").resolve("bridge.mv.db");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            FileLock lock = null;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldByH2InThisJvm) {
                // H2 still has it open
            }
            if (lock != null) {
                FileLock held = lock;
                return () -> {
                    held.release();
                    channel.close();
                };
            }
            if (System.nanoTime() > deadline) {
                channel.close();
                throw new IllegalStateException("H2 kept the database file locked for " + wait);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.close();
                throw new IllegalStateException(e);
            }
        }
    }
}
