package org.segmentbridge.queue;

/**
 * Reads one destination's log and lets the destination settle each event on its own, in any order: up to
 * {@code maxInFlight} events are held unsettled, and a crash or a stop gives every unsettled one back to the log, to
 * be read again. Events are handed over in the log's order.
 */
public interface DestinationReader {

    /** What the reader hands its events to. */
    interface Listener {
        /** @throws Postponed when the event cannot be handled now: it is handed over again after a pause */
        void onMessage(QueuedMessage message);

        /**
         * The reader lost what it held unsettled (its session ended, or the log moved its events to another bridge):
         * they will be read again, so forget them.
         */
        void sessionLost();
    }

    void start();

    /** Stops reading: what is not settled goes back to the log. */
    void stop() throws InterruptedException;

    /** The destination is done with this event (delivered or dead-lettered). */
    void finished(QueuedMessage message);
}
