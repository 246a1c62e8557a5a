package org.segmentbridge.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps one credential (or one endpoint of it) under its rate: never more than N = {@code rate.requests} requests
 * reaching the vendor in any window of P = {@code rate.period}, whatever the network or the vendor's servers do to
 * their timing. A sliding window of completions: the last N requests each hold a slot, and a request may start only
 * once the request N places before it <em>ended</em> (its answer came back, or it failed or timed out) at least P ago.
 *
 * <p><b>Why no window at the vendor ever holds more than N.</b> Number the requests in the order they start (the
 * order their slots are handed out, one at a time). Request i reaches the vendor at some a_i with
 * {@code s_i <= a_i <= e_i}, where s_i is when its permit was granted (it is sent after that) and e_i when it ended
 * (the vendor received it before answering, and a request that got no answer is one the transport gave up on).
 * Permits are granted in order, so {@code s_j >= s_(i+N)} for every {@code j >= i + N}, and the rule says
 * {@code s_(i+N) >= e_i + P}. Hence for any two requests N or more places apart,
 * {@code a_j >= s_j >= s_(i+N) >= e_i + P >= a_i + P}. Among any N + 1 requests the first and the last are N places
 * apart at least, so they reach the vendor P apart at least: no window of length P, sliding or fixed, counted on
 * arrival, holds more than N. No burst or refill margin is needed, and no allowance for jitter: a request that is slow
 * to arrive also ends late, and holds back the one N after it just as long. The price is the latency: the window lets
 * N through per P plus one request's latency (at P = 1 s and a few milliseconds of latency, over 0.99 of the limit).
 *
 * <p><b>A request whose end is never reported</b> (a bridge killed while it was in flight, a bug) must not hold its
 * slot for ever: it counts as ended at its start plus the longest a request may take (the transport's timeouts, which
 * the caller passes with the take), after which the vendor cannot receive it any more.
 *
 * <p>The window and the pause live in a {@link PacingState}: in this process, or in the state database, where every
 * bridge on it takes from the same window (on the database's clock) and sees the same pause, so the N hold for all of
 * them together. Only {@link #tryTake} asks the window; {@link #waitTime} answers from the pause and from what the last
 * refused take said about the soonest the window could have room, so a caller waiting for its turn costs no query.
 * The vendor's own signals (a 429, or a rate-limit header saying nothing remains) pause it.
 *
 * <p>When a shared state does not answer (the database is down or unreachable) nothing is taken: {@link #tryTake}
 * answers empty and {@link #waitTime} says to wait {@link #UNREACHABLE_RETRY} (or as long as the failed attempt took,
 * if longer), after which the state is asked again. Deliveries and calls therefore wait and try again, as they do for
 * a full window; none is ever sent unpaced, since this bridge cannot know what the others took meanwhile. A pause
 * known here still holds while the database is away, and one that could not be written is written once it answers.
 * The thread that asks waits for the database meanwhile: up to the store's connection timeout, once per retry.
 */
final class RequestPacer {

    /** After the state failed to answer, how long nothing is taken before it is asked again. */
    static final Duration UNREACHABLE_RETRY = Duration.ofSeconds(1);

    /**
     * One request's place in the window. {@link #done} once its HTTP exchange is over, answered or not (the next
     * request but N may start a period later); {@link #giveBack} instead when it is not sent after all. Only the first
     * of the two calls counts.
     */
    interface Permit {

        void done();

        void giveBack();

        /** This permit and {@code other} together, for a request that needed both. */
        default Permit and(Permit other) {
            Permit first = this;
            return new Permit() {
                @Override
                public void done() {
                    first.done();
                    other.done();
                }

                @Override
                public void giveBack() {
                    first.giveBack();
                    other.giveBack();
                }
            };
        }
    }

    private final PacingState state;
    /**
     * Nothing is taken before this: the soonest the window can have room, as the last refused take said (another
     * bridge may take that room first, which the next take finds out), or when to ask a state that failed again.
     */
    private final AtomicReference<Instant> notBefore = new AtomicReference<>(Instant.MIN);
    /**
     * The latest pause this pacer has seen (set here, or read from a shared state while it paced), for the metric: a
     * scrape must not wait for a shared state that may be down.
     */
    private final AtomicReference<Instant> seenPause = new AtomicReference<>(Instant.MIN);

    /** A pacer of this process alone. */
    RequestPacer(Rate rate) {
        this(new LocalPacing(rate));
    }

    RequestPacer(PacingState state) {
        this.state = state;
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
                until = seen(state.pausedUntil());
            } catch (RuntimeException e) {
                return unreachable(e, asked);
            }
        }
        return until.isAfter(now) ? Duration.between(now, until) : Duration.ZERO;
    }

    /**
     * Takes one request's permit: empty (taking nothing) when it must wait, or when the state did not answer. The
     * request must then end, answered or not, within {@code longest} of now, or it counts as ended then.
     */
    Optional<Permit> tryTake(Instant now, Duration longest) {
        if (notBefore.get().isAfter(now)) {
            return Optional.empty();
        }
        long asked = System.nanoTime();
        try {
            if (seen(state.pausedUntil()).isAfter(now)) {
                return Optional.empty();
            }
            PacingState.Take take = state.take(longest);
            state.answered();
            if (take.permit() == null) {
                notBefore.set(now.plus(take.soonest()));
            }
            return Optional.ofNullable(take.permit());
        } catch (RuntimeException e) {
            unreachable(e, asked);
            return Optional.empty();
        }
    }

    /**
     * The pause as the state has it ({@link Instant#MIN} for none), for operators; empty when a shared state did not
     * answer (reading it never counts as the failure {@link #waitTime} reacts to).
     */
    Optional<Instant> pausedUntil() {
        try {
            return Optional.of(state.pausedUntil());
        } catch (RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /** The vendor said to hold off until {@code until}: nothing goes before then (on any bridge sharing the state). */
    void pauseUntil(Instant until) {
        seen(until);
        state.pauseUntil(until);
    }

    /** How much of the latest pause seen is left at {@code now}: zero when the pacer is not paused. */
    Duration pausedFor(Instant now) {
        Instant until = seenPause.get();
        return until.isAfter(now) ? Duration.between(now, until) : Duration.ZERO;
    }

    private Instant seen(Instant pause) {
        seenPause.accumulateAndGet(pause, RequestPacer::later);
        return pause;
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
