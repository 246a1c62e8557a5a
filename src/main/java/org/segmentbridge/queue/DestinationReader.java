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

    /**
     * The first step of a graceful stop: hands over no more events, while what the destination settles from now on is
     * still acknowledged. Returns once no event is being handed over, so the destination holds all it will get.
     */
    void stopReading() throws InterruptedException;

    /**
     * Stops: what the destination settled is acknowledged first; what is not settled goes back to the log, to be read
     * again (by this bridge after its restart, or by another one).
     */
    void stop() throws InterruptedException;

    /**
     * True when a stop gives back exactly the events not settled; false when the log keeps one position per partition,
     * so that an event settled after an unsettled one of its partition is read again too. A stopping destination then
     * finishes every event it holds rather than leave one unsent.
     */
    boolean givesBackOnlyUnsettled();

    /** The destination is done with this event (delivered or dead-lettered). */
    void finished(QueuedMessage message);
}
