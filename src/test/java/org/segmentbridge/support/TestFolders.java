package org.segmentbridge.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.apache.camel.util.FileUtil;

/**
 * Temporary folders of the tests (data folders, route folders, projects), removed when the test JVM ends: a test run
 * otherwise leaves a thousand and more of them in the system's temporary folder, and a developer's machine fills up.
 * A folder outlives the test that made it on purpose: tests restart bridges on the same data folder.
 */
public final class TestFolders {

    private static final Set<Path> CREATED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(TestFolders::remove), "test-folders-removal"));
    }

    private TestFolders() {
    }

    /** A new empty folder in the system's temporary folder, named {@code prefix} and a random part. */
    public static Path create(String prefix) throws IOException {
        Path folder = Files.createTempDirectory(prefix);
        CREATED.add(folder);
        return folder;
    }

    /** What the folder holds, by name: for a test that a process left nothing behind. */
    public static List<String> contents(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(entry -> entry.getFileName().toString()).sorted().toList();
        }
    }

    /** Removes the folder and everything in it, as far as it can (a process still ending may hold a file). */
    public static void remove(Path folder) {
        FileUtil.removeDir(folder.toFile());
    }
}
