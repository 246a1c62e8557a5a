package org.segmentbridge.delivery;

/**
 * A queued event cannot be handled now because the state store is unavailable (down, being reopened, busy): the
 * subscription reader hands the same message over again after a pause, in order, without giving up its session.
 */
final class Postponed extends RuntimeException {

    Postponed(String reason, Throwable cause) {
        super(reason, cause);
    }
}
