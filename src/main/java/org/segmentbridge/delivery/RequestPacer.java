package org.segmentbridge.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.ConsumptionProbe;

/**
 * Keeps one credential (or one endpoint of it) under its rate: never more than {@code rate.requests} requests in
 * any window of {@code rate.period}. A token bucket with burst {@code b} refilled at {@code (N - b)} per period lets
 * through at most {@code b + (N - b) = N} in any window, so a vendor counting in fixed or sliding windows never sees
 * more than its limit. The refill runs slower than the period ({@value #LOCAL_SLOWER_PERCENT} % for one bridge,
 * {@value #SHARED_SLOWER_PERCENT} % for several), so the vendor still sees at most N when requests arrive a little
 * earlier or later than their permits were granted. Several bridges need the wider margin: each sends from its own
 * process after its permit, and a process that is slower for a moment (a busy CPU, a GC pause) lets requests granted
 * apart arrive together. The vendor's own signals (a 429, or a rate-limit header
 * saying nothing remains) pause it.
 *
 * <p>The bucket and the pause live in a {@link PacingState}: in this process, or in the state database, where every
 * bridge on it takes from the same bucket and sees the same pause, so the N hold for all of them together. Only
 * {@link #tryTake} asks the bucket; {@link #waitTime} answers from the pause and from what the last refused take
 * said about the next token, so a caller waiting for its turn costs no query.
 *
 * <p>When a shared state does not answer (the database is down or unreachable) nothing is taken: {@link #tryTake}
 * answers false and {@link #waitTime} says to wait {@link #UNREACHABLE_RETRY} (or as long as the failed attempt took,
 * if longer), after which the state is asked again. Deliveries and calls therefore wait and try again, as they do for
 * an empty bucket; none is ever sent unpaced, since this bridge cannot know what the others took meanwhile. A pause
 * known here still holds while the database is away, and one that could not be written is written once it answers.
 * The thread that asks waits for the database meanwhile: up to the store's connection timeout, once per retry.
 */
final class RequestPacer {

    /** After the state failed to answer, how long nothing is taken before it is asked again. */
    static final Duration UNREACHABLE_RETRY = Duration.ofSeconds(1);

    private final PacingState state;
    /**
     * Nothing is taken before this: when the bucket will have its next token, as the last refused take said (another
     * bridge may have taken it by then, which the next take finds out), or when to ask a state that failed again.
     */
    private final AtomicReference<Instant> notBefore = new AtomicReference<>(Instant.MIN);

    /** A pacer of this process alone. */
    RequestPacer(Rate rate) {
        this(new LocalPacing(rate));
    }

    RequestPacer(PacingState state) {
        this.state = state;
    }

    static final int LOCAL_SLOWER_PERCENT = 5;
    static final int SHARED_SLOWER_PERCENT = 25;

    /** The bucket's one limit for {@code rate}: a tenth as burst, the rest refilled this much slower than the period. */
    static Bandwidth limit(Rate rate, int slowerPercent) {
        long burst = Math.max(1, rate.requests() / 10);
        long refill = Math.max(1, rate.requests() - burst);
        Duration slowerPeriod = rate.period().plus(rate.period().multipliedBy(slowerPercent).dividedBy(100));
        return Bandwidth.builder().capacity(burst).refillGreedy(refill, slowerPeriod).initialTokens(burst).build();
    }

    /**
     * How long until a request could go as far as this pacer knows: zero when one may go now (then {@link #tryTake}
     * decides). Takes nothing.
     */
    Duration waitTime(Instant now) {
        Instant until = notBefore.get();
        if (!until.isAfter(now)) {
            // Only once that has passed is the pause asked for: a state that failed is asked no sooner.
            long asked = System.nanoTime();
            try {
                until = state.pausedUntil();
            } catch (RuntimeException e) {
                return unreachable(e, asked);
            }
        }
        return until.isAfter(now) ? Duration.between(now, until) : Duration.ZERO;
    }

    /** Takes one request's permit; false (taking nothing) when it must wait, or when the state did not answer. */
    boolean tryTake(Instant now) {
        if (notBefore.get().isAfter(now)) {
            return false;
        }
        long asked = System.nanoTime();
        try {
            if (state.pausedUntil().isAfter(now)) {
                return false;
            }
            ConsumptionProbe probe = state.bucket().tryConsumeAndReturnRemaining(1);
            state.answered();
            if (probe.isConsumed()) {
                return true;
            }
            notBefore.set(now.plusNanos(probe.getNanosToWaitForRefill()));
            return false;
        } catch (RuntimeException e) {
            unreachable(e, asked);
            return false;
        }
    }

    /**
     * Returns a permit taken a moment ago for a request that is not sent after all (the endpoint's own pacer refused
     * it). A permit that cannot be returned only makes the pacing slower.
     */
    void giveBack() {
        try {
            state.bucket().addTokens(1);
        } catch (RuntimeException e) {
            state.failed(e);
        }
    }

    /** The vendor said to hold off until {@code until}: nothing goes before then (on any bridge sharing the state). */
    void pauseUntil(Instant until) {
        state.pauseUntil(until);
    }

    /**
     * Nothing is taken for {@link #UNREACHABLE_RETRY} after the failure, or for as long as the failed attempt took if
     * that was longer (waiting for a connection to a database that is down takes the store's connection timeout): a
     * caller's thread spends at most about half of an outage waiting on the state. Returns that wait.
     */
    private Duration unreachable(RuntimeException failure, long askedNanos) {
        state.failed(failure);
        Duration took = Duration.ofNanos(System.nanoTime() - askedNanos);
        Duration retry = took.compareTo(UNREACHABLE_RETRY) > 0 ? took : UNREACHABLE_RETRY;
        notBefore.accumulateAndGet(Instant.now().plus(retry), RequestPacer::later);
        return retry;
    }

    static Instant later(Instant a, Instant b) {
        return b.isAfter(a) ? b : a;
    }
}
