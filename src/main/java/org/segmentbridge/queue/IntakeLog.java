package org.segmentbridge.queue;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The intake log: what the intake appends before it answers, and what the processor reads. Appending is the only
 * work on an HTTP request's path; when {@link #append} returns, the events are stored (synced to disk, or written to
 * every in-sync Kafka replica), and when it throws, the sender is told to try again.
 *
 * <p>The processor reads through a {@link Reader}, whose one transaction both takes events off the intake log and
 * publishes the processor's output to the destinations' logs, so a commit does both or neither. A crash before the
 * commit gives the events back to the log, to be read again at the same {@link Logged#position() position}.
 */
public interface IntakeLog {

    /** At most this many events share one log record; a platform's report is always one record, whole. */
    int EVENTS_PER_RECORD = 100;

    /** What the processor does with an appended event. */
    enum Kind {
        /** From Segment or an operator: for every destination. */
        EVENT,
        /** What a platform reported: a consent change for every destination, engagement for Segment alone. */
        REPORT
    }

    /**
     * One event as appended or published: its type, messageId and person travel beside the body, so the logs can be
     * read and partitioned without parsing it.
     *
     * @param personKey userId, else anonymousId, else messageId: the key that keeps one person's events in one
     *                  partition of a Kafka log, so in order
     */
    record Entry(String type, String messageId, String personKey, String json) {

        public static Entry of(ObjectNode event) {
            String messageId = event.path("messageId").asText("");
            return new Entry(event.path("type").asText(""), messageId,
                    firstPresent(event.path("userId").asText(""), event.path("anonymousId").asText(""), messageId), event.toString());
        }

        /** @throws IllegalArgumentException when the text is not a JSON object */
        public static Entry parse(String json) {
            try {
                if (IntakeRecords.JSON.readTree(json) instanceof ObjectNode event) {
                    Entry parsed = of(event);
                    return new Entry(parsed.type(), parsed.messageId(), parsed.personKey(), json);
                }
            } catch (java.io.IOException e) {
                // reported below
            }
            throw new IllegalArgumentException("not a JSON object: an event");
        }

        private static String firstPresent(String... values) {
            for (String value : values) {
                if (!value.isBlank()) {
                    return value;
                }
            }
            return "";
        }
    }

    /**
     * One event as read back.
     *
     * @param position where it sits in the log, {@code <record>#<index>}; the same when the event is read again after
     *                 a crash or a rollback
     */
    record Logged(String position, ObjectNode event, String receivedVia, Kind kind, Instant receivedAt) {

        /** The event at {@code index} of a log record (what one append wrote); the only place the position is made. */
        static Logged inRecord(String record, int index, ObjectNode event, String receivedVia, Kind kind, Instant receivedAt) {
            return new Logged(record + "#" + index, event, receivedVia, kind, receivedAt);
        }

        /** The log record the event came in with: the events of one request, or of one vendor's report, share it. */
        public String record() {
            return position.substring(0, position.lastIndexOf('#'));
        }
    }

    /**
     * Appends the events: when the future completes they are stored, when it fails with
     * {@link EventQueue.QueueUnavailableException} the sender must send them again (some may be stored already; the
     * processor drops what it has seen by messageId). It completes on the log's own thread: whoever waits on it hands
     * any real work to a thread of its own.
     */
    CompletableFuture<Void> append(List<Entry> events, String receivedVia, Kind kind, Instant receivedAt);

    /**
     * Whether {@link #append} returns at once whatever the log's state (it only queues), so that an event loop may call
     * it. False when an append may wait (for a broker's metadata or buffer room): its caller must be a worker.
     */
    boolean appendNeverWaits();

    /**
     * Waits for an append (or anything that follows from it) for a caller that has a thread to spare, and throws what
     * it failed with as it is: {@link EventQueue.QueueUnavailableException}, or the caller's own exception.
     */
    static <T> T await(CompletableFuture<T> stored) {
        try {
            return stored.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new EventQueue.QueueUnavailableException(e.getCause());
        }
    }

    /** Events appended through this log since the bridge started. */
    long appendedEvents();

    /** A reader for the processor; use it from one thread only. */
    Reader openReader();

    /**
     * Takes batches from the intake log and publishes to the destinations' logs, both in one transaction. Every
     * method throws {@link EventQueue.QueueUnavailableException} when the log cannot be reached.
     */
    interface Reader extends AutoCloseable {

        /**
         * The events of whole records, oldest first, until there are {@code max} or more: waits up to
         * {@code waitMillis} for the first record, then up to {@code lingerMillis} more for others. Empty when nothing
         * came. Lingering makes a batch of what arrives within a few milliseconds instead of one batch (two database
         * commits and a log sync) per request when requests come one by one.
         */
        List<Logged> next(int max, long waitMillis, long lingerMillis);

        /**
         * Publishes one event to the destinations' logs within this reader's transaction.
         *
         * @param onlyFor the one destination that takes it, or null for every destination
         */
        void emit(Entry event, String receivedVia, String onlyFor);

        /** Takes the batch off the intake log and makes what was emitted durable, at once. */
        void commit();

        /** Gives the batch back to the intake log (to be read again, in order) and forgets what was emitted. */
        void rollback();

        @Override
        void close();
    }
}
