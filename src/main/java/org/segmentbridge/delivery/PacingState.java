package org.segmentbridge.delivery;

import java.time.Instant;

import io.github.bucket4j.Bucket;

/**
 * Where a {@link RequestPacer}'s state lives: its token bucket, and the latest instant the vendor said to hold off
 * until. In this process ({@link LocalPacing}) when one bridge spends the credential; in the state database
 * ({@link SharedPacing}) when several bridges share it. The pacer's logic is the same on either.
 *
 * <p>A shared state may fail to answer: its bucket's operations and {@link #pausedUntil()} then throw an unchecked
 * exception, which the pacer reads as "no permit now".
 */
interface PacingState {

    /** The pacer's token bucket: in memory, or a proxy whose every operation is one transaction on the database. */
    Bucket bucket();

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
}
