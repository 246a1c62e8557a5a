package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

/**
 * The disk's own sync latency, with nothing else of the run on the machine: the floor under every durable answer.
 * The bridge answers an event only once the queue's journal has synced it, so a sync the disk holds for 40 ms holds
 * every answer of those 40 ms, whatever the bridge does. It writes as the embedded broker's NIO journal does: 4 KB at
 * a time into a file filled beforehand (the journal's files are), each write followed by {@code force(false)}
 * (fdatasync), one every half millisecond or so.
 */
final class DiskSync {

    /** Sync times in microseconds, over {@code seconds}. */
    record Result(Histogram syncMicros, double seconds) {
        /** How many syncs took longer than {@code micros}. */
        long over(long micros) {
            return syncMicros.getTotalCount() - syncMicros.getCountBetweenValues(0, micros);
        }
    }

    private static final int FILE_BYTES = 10 * 1024 * 1024;
    private static final int WRITE_BYTES = 4096;

    private DiskSync() {
    }

    /** Syncs a file in {@code directory} (removed afterwards) for {@code seconds}. */
    static Result measure(Path directory, double seconds) throws IOException {
        Path file = directory.resolve("disk-sync-probe");
        Histogram syncs = new Histogram(60_000_000L, 3);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate(1024 * 1024);
            for (long offset = 0; offset < FILE_BYTES; offset += zeros.capacity()) {
                zeros.clear();
                channel.write(zeros, offset);
            }
            channel.force(true);
            ByteBuffer page = ByteBuffer.allocate(WRITE_BYTES);
            long offset = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                page.clear();
                channel.write(page, offset);
                offset = (offset + WRITE_BYTES) % FILE_BYTES;
                long started = System.nanoTime();
                channel.force(false);
                syncs.recordValue(Math.max(1, (System.nanoTime() - started) / 1_000));
                LockSupport.parkNanos(500_000);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return new Result(syncs, seconds);
    }
}
