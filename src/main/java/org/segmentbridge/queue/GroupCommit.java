package org.segmentbridge.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends of concurrent requests share one transaction and one disk sync (group commit): one committer thread takes
 * every append waiting, writes them all in one transaction and commits it, then completes each of them. An append's
 * future completes when the group it went into is durable, so a request is answered only once its events are durable,
 * as before; what it no longer pays alone is the transaction, the log's per-record work and the sync. Under load a
 * group fills while the previous one syncs, so the cost per event falls as the rate rises. Appends are taken in arrival
 * order, so one sender's requests (each sent after the answer to the last) keep their order.
 *
 * <p>Nobody waits in a thread for the commit: the HTTP intake answers from the future (see
 * {@code AsyncRouteHttpEngine}), so a thousand requests in flight cost a thousand futures, not a thousand threads.
 */
final class GroupCommit implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);

    /** At most this many events go into one transaction: bounds a commit's size and the heap it holds. */
    static final int MAX_EVENTS_PER_GROUP = 5_000;
    /**
     * How long an append waits for its group's commit before its sender is told to try again. The broker's own calls
     * give up after 30 s; an append that was committed after all is dropped again by messageId downstream.
     */
    static final Duration COMMIT_WAIT = Duration.ofSeconds(30);

    /** One request's append, completed when its group committed (or failed, or took longer than the wait). */
    record Append(List<IntakeLog.Entry> events, String receivedVia, IntakeLog.Kind kind, Instant receivedAt,
                  long queuedNanos, CompletableFuture<Void> committed) {
    }

    /** Writes a group in one transaction: when it returns, every append of the group is durable; when it throws, none is. */
    interface Writer {
        void write(List<Append> group) throws Exception;

        /** After a failed write: drop what the writer holds (a session), to open anew for the next group. */
        void reset();
    }

    /** The group being written, and since when: what the watchdog fails when the write hangs. */
    private record Writing(List<Append> group, long startedNanos) {
    }

    private final Writer writer;
    private final Duration commitWait;
    private final LinkedBlockingQueue<Append> waiting = new LinkedBlockingQueue<>();
    private final Thread committer;
    /** Fails appends that waited past {@link #commitWait}, whatever the committer is stuck in. */
    private final ScheduledExecutorService watchdog;
    private volatile Writing writing;
    private volatile boolean running = true;

    GroupCommit(String name, Writer writer) {
        this(name, writer, COMMIT_WAIT);
    }

    GroupCommit(String name, Writer writer, Duration commitWait) {
        this.writer = writer;
        this.commitWait = commitWait;
        this.committer = new Thread(this::commitUntilClosed, name);
        committer.setDaemon(true);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, name + "-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        long tick = Math.max(10, Math.min(1_000, commitWait.toMillis() / 4));
        watchdog.scheduleWithFixedDelay(this::failOverdue, tick, tick, TimeUnit.MILLISECONDS);
        committer.start();
    }

    /**
     * Queues the events for the next group commit. The future completes once they are durable, or fails with
     * {@link EventQueue.QueueUnavailableException} when they may not be; it completes on the committer's thread.
     */
    CompletableFuture<Void> append(List<IntakeLog.Entry> events, String receivedVia, IntakeLog.Kind kind, Instant receivedAt) {
        if (!running) {
            return CompletableFuture.failedFuture(new EventQueue.QueueUnavailableException(new IllegalStateException("the intake log is closed")));
        }
        Append append = new Append(events, receivedVia, kind, receivedAt, System.nanoTime(), new CompletableFuture<>());
        waiting.add(append);
        return append.committed();
    }

    /** Appends waiting for the next commit. */
    int waitingAppends() {
        return waiting.size();
    }

    private void commitUntilClosed() {
        List<Append> group = new ArrayList<>();
        while (running) {
            try {
                Append first = waiting.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                int events = first.events().size();
                Append next;
                while (events < MAX_EVENTS_PER_GROUP && (next = waiting.poll()) != null) {
                    group.add(next);
                    events += next.events().size();
                }
                commit(group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                group.clear();
            }
        }
        failWaiting(new IllegalStateException("the intake log is closed"));
    }

    private void commit(List<Append> group) {
        writing = new Writing(List.copyOf(group), System.nanoTime());
        try {
            writer.write(group);
        } catch (Exception | Error e) {
            writer.reset();
            LOG.debug("A group of {} appends failed to commit", group.size(), e);
            EventQueue.QueueUnavailableException failure = e instanceof EventQueue.QueueUnavailableException unavailable
                    ? unavailable : new EventQueue.QueueUnavailableException(e);
            group.forEach(append -> append.committed().completeExceptionally(failure));
            return;
        } finally {
            writing = null;
        }
        group.forEach(append -> append.committed().complete(null));
    }

    /**
     * The sender of an append that waited past the wait is told to try again; the append itself stays queued (or
     * being written), and what is committed after all is dropped again by messageId downstream.
     */
    private void failOverdue() {
        long now = System.nanoTime();
        long wait = commitWait.toNanos();
        Writing current = writing;
        if (current != null && now - current.startedNanos() > wait) {
            current.group().forEach(append -> append.committed().completeExceptionally(overdue()));
        }
        for (Append append : waiting) {
            if (now - append.queuedNanos() <= wait) {
                break; // queued in order: the ones behind waited less
            }
            append.committed().completeExceptionally(overdue());
        }
    }

    private EventQueue.QueueUnavailableException overdue() {
        return new EventQueue.QueueUnavailableException(new IllegalStateException(
                "the intake log did not commit within " + commitWait.toMillis() + " ms"));
    }

    private void failWaiting(Exception why) {
        Append left;
        while ((left = waiting.poll()) != null) {
            left.committed().completeExceptionally(new EventQueue.QueueUnavailableException(why));
        }
    }

    @Override
    public void close() {
        running = false;
        committer.interrupt();
        try {
            committer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        watchdog.shutdownNow();
        failWaiting(new IllegalStateException("the intake log is closed"));
    }
}
