package org.segmentbridge.queue;

/**
 * Puts one event back on a destination's log: a dead letter being replayed, an event that waited for its person's
 * key. What the processor publishes goes through {@link IntakeLog.Reader}, in the transaction that takes its input.
 */
public interface EventQueue {

    /** Properties every queued event carries beside its body, so consumers can select without parsing it. */
    String TYPE_PROPERTY = "eventType";
    String MESSAGE_ID_PROPERTY = "eventMessageId";
    String RECEIVED_VIA_PROPERTY = "receivedVia";
    /** On a replayed dead letter: what it names (an action, or {@code route:<id>}) runs again, nothing else. */
    String REPLAY_ACTION_PROPERTY = "replayAction";

    /**
     * Queues one event again for a single destination (a dead letter being replayed), not for the others.
     *
     * @param onlyAction what the dead letter names: an action to deliver again, {@code route:<id>} to run that route
     *                   alone, anything else (or null) to run every route of the destination
     * @throws QueueUnavailableException when it was not stored
     */
    void republish(String destination, IntakeLog.Entry event, String onlyAction);

    /** The log did not store what it was given (it is down, unreachable, or refused). */
    class QueueUnavailableException extends RuntimeException {
        public QueueUnavailableException(Throwable cause) {
            super("the event queue did not store the events: " + cause.getMessage(), cause);
        }
    }
}
