package org.segmentbridge.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

/**
 * Keeps one credential (or one endpoint of it) under its rate: never more than {@code rate.requests} requests in
 * any window of {@code rate.period}. A token bucket with burst {@code b} refilled at {@code (N - b)} per period lets
 * through at most {@code b + (N - b) = N} in any window, so a vendor counting in fixed or sliding windows never sees
 * more than its limit. The refill runs 5 % slower than the period, so the vendor still sees at most N when requests
 * arrive a little earlier or later than they were sent. The vendor's own signals (a 429, or a rate-limit header
 * saying nothing remains) pause it.
 */
final class RequestPacer {

    private final Bucket bucket;
    private final AtomicReference<Instant> pausedUntil = new AtomicReference<>(Instant.MIN);

    RequestPacer(Rate rate) {
        long burst = Math.max(1, rate.requests() / 10);
        long refill = Math.max(1, rate.requests() - burst);
        java.time.Duration slowerPeriod = rate.period().plus(rate.period().dividedBy(20));
        this.bucket = Bucket.builder()
                .addLimit(limit -> limit.capacity(burst).refillGreedy(refill, slowerPeriod).initialTokens(burst))
                .build();
    }

    /** How long until a request could go; zero when one could go now. Takes nothing. */
    Duration waitTime(Instant now) {
        Instant paused = pausedUntil.get();
        if (paused.isAfter(now)) {
            return Duration.between(now, paused);
        }
        return Duration.ofNanos(bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
    }

    /** Takes one request's permit; false (taking nothing) when it must wait. */
    boolean tryTake(Instant now) {
        if (pausedUntil.get().isAfter(now)) {
            return false;
        }
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed();
    }

    /** The vendor said to hold off until {@code until}: nothing goes before then. */
    void pauseUntil(Instant until) {
        pausedUntil.accumulateAndGet(until, (current, proposed) -> proposed.isAfter(current) ? proposed : current);
    }
}
