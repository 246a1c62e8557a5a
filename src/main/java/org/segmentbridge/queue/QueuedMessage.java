package org.segmentbridge.queue;

/** One event as a destination reads it from its log. */
public interface QueuedMessage {

    /** The event, as the processor published it. */
    String json();

    /** What a replayed dead letter names to run again (see {@link EventQueue#REPLAY_ACTION_PROPERTY}), else null. */
    String replayAction();
}
