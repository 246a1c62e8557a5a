package org.segmentbridge.queue;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a destination's reader hands an event over, on either engine: until the destination takes it. While the
 * destination postpones it (its store is unavailable), reading pauses, doubling from {@value #FIRST_PAUSE_MILLIS} ms to
 * {@value #MAX_PAUSE_MILLIS} ms, which keeps every person's events in order; the reader keeps its hold on the log
 * meanwhile, so nothing already sent is read and sent again.
 */
final class HandOver {

    private static final Logger LOG = LoggerFactory.getLogger(HandOver.class);
    private static final long FIRST_PAUSE_MILLIS = 100;
    private static final long MAX_PAUSE_MILLIS = 2_000;

    /** What the reader does during a pause (settle what finished, stay in its group). */
    interface Meanwhile<E extends Exception> {
        /** @return false when the event is no longer this reader's to hand over (its partition moved) */
        boolean pause(long millis) throws E, InterruptedException;
    }

    private HandOver() {
    }

    /** @return whether the destination took the event (false: the reader stops, or the event is no longer its own) */
    static <E extends Exception> boolean until(String destination, DestinationReader.Listener listener, QueuedMessage event,
                                               BooleanSupplier running, Meanwhile<E> meanwhile) throws E, InterruptedException {
        long pause = FIRST_PAUSE_MILLIS;
        long pausedSince = 0;
        while (running.getAsBoolean()) {
            try {
                listener.onMessage(event);
                if (pausedSince != 0) {
                    LOG.info("Destination {}: reading resumes after {} ms", destination,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedSince));
                }
                return true;
            } catch (Postponed postponed) {
                if (pausedSince == 0) {
                    pausedSince = System.nanoTime();
                    LOG.warn("Destination {}: {}; reading pauses and the event is tried again until it can be handled",
                            destination, postponed.getMessage());
                }
            }
            if (!meanwhile.pause(pause)) {
                return false;
            }
            pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
        }
        // Stopping: the event stays unsettled and is read again on the next start.
        return false;
    }
}
