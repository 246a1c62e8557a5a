package org.segmentbridge.queue;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Whether the logs can take more events: the data folder's disk keeps a reserve of free space, and neither the intake
 * log's backlog nor a destination's passes the bound the operator set. Checked before a request's body is read, so a
 * full queue answers 503 at once instead of blocking the sender (Artemis itself blocks producers on a full disk, which
 * would hang every request until the client gave up). The processor and delivery go on draining meanwhile, which is
 * what frees the room.
 */
public final class QueueCapacity {

    /** A full disk frees only as delivery drains: no point in retrying at once. */
    static final int DISK_RETRY_AFTER_SECONDS = 30;
    static final int BACKLOG_RETRY_AFTER_SECONDS = 10;
    /** statfs and the queues' counts are cheap, but the intake asks on every request; a quarter second is fresh enough. */
    private static final long RECHECK_NANOS = 250_000_000L;

    /** Why the queue takes nothing now, in words for the sender and the operator. */
    public record Full(String reason, String message, int retryAfterSeconds) {
    }

    /** The {@code bridge.queue.*} capacity settings. */
    public record Limits(long minFreeBytes, OptionalLong maxBacklog) {
        public static Limits from(org.segmentbridge.SettingsReader settings) {
            return new Limits(settings.bytes("bridge.queue.min-free-disk").getAsLong(),
                    settings.count("bridge.queue.max-backlog", "none"));
        }
    }

    /** While the logs cannot be reached; a second is enough for a restarting broker to be tried again. */
    static final int UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

    private final long minFreeBytes;
    private final OptionalLong maxBacklog;
    private final EventLogs broker;
    private volatile long checkedAt = System.nanoTime() - RECHECK_NANOS;
    private volatile Optional<Full> last = Optional.empty();

    public QueueCapacity(Limits limits, EventLogs broker) {
        this.minFreeBytes = limits.minFreeBytes();
        this.maxBacklog = limits.maxBacklog();
        this.broker = broker;
    }

    /** Empty while the queue can take events; else why not. */
    public Optional<Full> full() {
        long now = System.nanoTime();
        if (now - checkedAt >= RECHECK_NANOS) {
            last = check();
            checkedAt = now;
        }
        return last;
    }

    private Optional<Full> check() {
        Optional<String> unavailable = broker.unavailable();
        if (unavailable.isPresent()) {
            return Optional.of(new Full("unavailable", unavailable.get() + "; nothing was kept, retry later",
                    UNAVAILABLE_RETRY_AFTER_SECONDS));
        }
        long free = freeBytes();
        if (free >= 0 && free < minFreeBytes) {
            return Optional.of(new Full("disk", "the data folder's disk has " + free + " bytes free, less than the reserve of "
                    + minFreeBytes + " (setting bridge.queue.min-free-disk); nothing was kept, retry later",
                    DISK_RETRY_AFTER_SECONDS));
        }
        if (maxBacklog.isPresent()) {
            long appends = broker.intakeLogDepth();
            if (appends >= maxBacklog.getAsLong()) {
                return Optional.of(new Full("backlog", "the intake log holds " + appends
                        + " appends the processor has not taken yet, the bound is " + maxBacklog.getAsLong()
                        + " (setting bridge.queue.max-backlog); nothing was kept, retry later", BACKLOG_RETRY_AFTER_SECONDS));
            }
            for (String destination : broker.destinations()) {
                long depth = broker.depth(destination);
                if (depth >= maxBacklog.getAsLong()) {
                    return Optional.of(new Full("backlog", "destination " + destination + " has " + depth
                            + " events waiting, the bound is " + maxBacklog.getAsLong()
                            + " (setting bridge.queue.max-backlog); nothing was kept, retry later", BACKLOG_RETRY_AFTER_SECONDS));
                }
            }
        }
        return Optional.empty();
    }

    /** Free bytes on the local journal's file system for this process; -1 when it cannot be read or there is none. */
    public long freeBytes() {
        if (broker.localJournal().isEmpty()) {
            return -1;
        }
        try {
            Path existing = broker.localJournal().get().toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return -1;
            }
            FileStore store = Files.getFileStore(existing);
            return store.getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Free disk, per destination the backlog and its oldest event's age, and whether the intake refuses now. */
    public void publishMetrics(MeterRegistry meters) {
        Gauge.builder("bridge.queue.disk.free.bytes", this, QueueCapacity::freeBytes)
                .description("Free bytes on the data folder's disk (the intake refuses below bridge.queue.min-free-disk)")
                .baseUnit("bytes").register(meters);
        Gauge.builder("bridge.queue.full", this, capacity -> capacity.full().isPresent() ? 1 : 0)
                .description("1 while the intake refuses events because the disk reserve or the backlog bound is reached")
                .register(meters);
        Gauge.builder("bridge.intake.log.depth", broker, EventLogs::intakeLogDepth)
                .description("Appends in the intake log that the processor has not taken yet (up to 100 events each)")
                .register(meters);
        Gauge.builder("bridge.intake.log.oldest.age.seconds", broker, b -> b.intakeLogOldestAgeMillis() / 1000.0)
                .description("Age of the oldest append waiting in the intake log (0 when none waits)")
                .baseUnit("seconds").register(meters);
        for (String destination : broker.destinations()) {
            Gauge.builder("bridge.queue.depth", () -> broker.depth(destination))
                    .description("Events waiting in a destination's subscription")
                    .tag("destination", destination)
                    .register(meters);
            Gauge.builder("bridge.queue.oldest.age.seconds", () -> broker.oldestAgeMillis(destination) / 1000.0)
                    .description("Age of the oldest event waiting in a destination's subscription (0 when none waits)")
                    .tag("destination", destination)
                    .baseUnit("seconds")
                    .register(meters);
        }
    }
}
