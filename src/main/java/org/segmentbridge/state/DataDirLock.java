package org.segmentbridge.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.apache.camel.support.service.ServiceSupport;

/**
 * One process per data folder: the queue journal and the state database are each written by one process only. Held
 * by a running bridge and by {@code backfill}, so the second of them stops at once with a sentence saying why,
 * instead of failing deep inside the broker or the database. The operating system frees it when the process dies.
 */
public class DataDirLock extends ServiceSupport {

    public static final String FILE = "bridge.lock";

    private final Path file;
    private FileChannel channel;
    private FileLock lock;

    public DataDirLock(Path dataDir) {
        this.file = dataDir.resolve(FILE).toAbsolutePath();
    }

    @Override
    protected void doStart() throws IOException {
        Files.createDirectories(file.getParent());
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            channel = null;
            throw new IllegalStateException("The data folder " + file.getParent() + " is in use by a running bridge (it holds "
                    + file + "): one process at a time can use its queue and state database");
        }
    }

    @Override
    protected void doStop() throws IOException {
        if (lock != null) {
            lock.release();
            lock = null;
        }
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
