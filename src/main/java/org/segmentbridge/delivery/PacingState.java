package org.segmentbridge.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * Where a {@link RequestPacer}'s state lives: its window of the last N requests, and the latest instant the vendor
 * said to hold off until. In this process ({@link LocalPacing}) when one bridge spends the credential; in the state
 * database ({@link SharedPacing}) when several bridges share it. The pacer's logic is the same on either.
 *
 * <p>A shared state may fail to answer: {@link #take} and {@link #pausedUntil()} then throw an unchecked exception,
 * which the pacer reads as "no permit now".
 */
interface PacingState {

    /**
     * Starts a request when the window has a free slot. A request that never reports its end counts as ended
     * {@code longest} after it started, so its slot frees itself.
     */
    Take take(Duration longest);

    /** The latest pause known: {@link Instant#MIN} when there was none. */
    Instant pausedUntil();

    /** Records a pause; a pause recorded already that ends later stays. Never throws. */
    void pauseUntil(Instant until);

    /** An operation on the state failed: said in the log once per outage. */
    default void failed(RuntimeException failure) {
    }

    /** An operation on the state succeeded: ends an outage, if there was one. */
    default void answered() {
    }

    /** A started request's permit, or (permit null) how long until the window can have a free slot, at the soonest. */
    record Take(RequestPacer.Permit permit, Duration soonest) {

        static Take granted(RequestPacer.Permit permit) {
            return new Take(permit, Duration.ZERO);
        }

        static Take refused(Duration wait) {
            return new Take(null, wait);
        }
    }
}
