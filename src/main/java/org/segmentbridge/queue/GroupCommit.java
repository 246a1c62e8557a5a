package org.segmentbridge.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends of concurrent requests share one transaction and one disk sync (group commit): one committer thread takes
 * every append waiting, writes them all in one transaction and commits it, then answers each of them. A request waits
 * for the commit of the group its append went into, so it is answered only once its events are durable, as before;
 * what it no longer pays alone is the transaction, the log's per-record work and the sync. Under load a group fills
 * while the previous one syncs, so the cost per event falls as the rate rises. Appends are taken in arrival order, so
 * one sender's requests (each sent after the answer to the last) keep their order.
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

    /** One request's append, answered when its group committed (or failed). */
    record Append(List<IntakeLog.Entry> events, String receivedVia, IntakeLog.Kind kind, Instant receivedAt,
                  CompletableFuture<Void> committed) {
    }

    /** Writes a group in one transaction: when it returns, every append of the group is durable; when it throws, none is. */
    interface Writer {
        void write(List<Append> group) throws Exception;

        /** After a failed write: drop what the writer holds (a session), to open anew for the next group. */
        void reset();
    }

    private final Writer writer;
    private final LinkedBlockingQueue<Append> waiting = new LinkedBlockingQueue<>();
    private final Thread committer;
    private volatile boolean running = true;

    GroupCommit(String name, Writer writer) {
        this.writer = writer;
        this.committer = new Thread(this::commitUntilClosed, name);
        committer.setDaemon(true);
        committer.start();
    }

    /** Returns once the events are durable; throws {@link EventQueue.QueueUnavailableException} when they may not be. */
    void append(List<IntakeLog.Entry> events, String receivedVia, IntakeLog.Kind kind, Instant receivedAt) {
        if (!running) {
            throw new EventQueue.QueueUnavailableException(new IllegalStateException("the intake log is closed"));
        }
        Append append = new Append(events, receivedVia, kind, receivedAt, new CompletableFuture<>());
        waiting.add(append);
        try {
            append.committed().get(COMMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventQueue.QueueUnavailableException(e);
        } catch (TimeoutException e) {
            throw new EventQueue.QueueUnavailableException(new IllegalStateException(
                    "the intake log did not commit within " + COMMIT_WAIT.toSeconds() + " s", e));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof EventQueue.QueueUnavailableException unavailable ? unavailable
                    : new EventQueue.QueueUnavailableException(e.getCause());
        }
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
        try {
            writer.write(group);
        } catch (Exception | Error e) {
            writer.reset();
            LOG.debug("A group of {} appends failed to commit", group.size(), e);
            EventQueue.QueueUnavailableException failure = e instanceof EventQueue.QueueUnavailableException unavailable
                    ? unavailable : new EventQueue.QueueUnavailableException(e);
            group.forEach(append -> append.committed().completeExceptionally(failure));
            return;
        }
        group.forEach(append -> append.committed().complete(null));
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
        failWaiting(new IllegalStateException("the intake log is closed"));
    }
}
