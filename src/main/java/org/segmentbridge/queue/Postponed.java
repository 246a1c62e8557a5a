package org.segmentbridge.queue;

/**
 * A queued event cannot be handled now because the state store is unavailable (down, being reopened, busy): the
 * destination's reader hands the same message over again after a pause, in order, without giving up what it holds.
 */
public final class Postponed extends RuntimeException {

    public Postponed(String reason, Throwable cause) {
        super(reason, cause);
    }
}
