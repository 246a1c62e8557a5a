package org.segmentbridge.delivery;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import io.github.bucket4j.Bucket;

/** A pacer's state in this process alone: the embedded H2 state, where one bridge spends each credential. */
final class LocalPacing implements PacingState {

    private final Bucket bucket;
    private final AtomicReference<Instant> pausedUntil = new AtomicReference<>(Instant.MIN);

    LocalPacing(Rate rate) {
        this.bucket = Bucket.builder().addLimit(RequestPacer.limit(rate, RequestPacer.LOCAL_SLOWER_PERCENT)).build();
    }

    @Override
    public Bucket bucket() {
        return bucket;
    }

    @Override
    public Instant pausedUntil() {
        return pausedUntil.get();
    }

    @Override
    public void pauseUntil(Instant until) {
        pausedUntil.accumulateAndGet(until, RequestPacer::later);
    }
}
