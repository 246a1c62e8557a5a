package org.segmentbridge.delivery;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A request cannot be built yet: it needs what a vendor call under way will tell (an id behind a name, a token).
 * The delivery engine sets the batch aside, lets the destination's other batches go on, and builds the request again
 * once the call completes; a call that failed settles the batch as a failed request would (a {@link TemporaryFailure}
 * is retried, anything else dead-letters it with the message).
 */
public final class AwaitingLookup extends RuntimeException {

    private static final int MAX_ROUNDS = 10;

    private final transient CompletionStage<?> lookup;

    public AwaitingLookup(String what, CompletionStage<?> lookup) {
        super("waiting for " + what, null, false, false);
        this.lookup = lookup;
    }

    /** Completes when the call does; fails with the call's failure. */
    public CompletionStage<?> lookup() {
        return lookup;
    }

    /**
     * What {@code build} returns, waiting out the lookups it needs, each for at most {@code atMost}: for threads that
     * may wait (the backfill, the tools), never a destination's delivery thread.
     *
     * @throws RuntimeException the failure of a lookup it needed, as the lookup failed
     */
    public static <T> T waitingFor(Supplier<T> build, Duration atMost) {
        for (int round = 1; ; round++) {
            try {
                return build.get();
            } catch (AwaitingLookup awaiting) {
                if (round == MAX_ROUNDS) {
                    throw new IllegalStateException("still " + awaiting.getMessage() + " after " + MAX_ROUNDS + " lookups");
                }
                awaiting.await(atMost);
            }
        }
    }

    private void await(Duration atMost) {
        try {
            lookup.toCompletableFuture().get(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failureOf(e);
        } catch (TimeoutException e) {
            throw new TemporaryFailure("no answer within " + atMost + " while " + getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + getMessage(), e);
        }
    }

    /** The failure a lookup failed with, out of the wrappers futures add. */
    public static RuntimeException failureOf(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause.getMessage(), cause);
    }

    /**
     * What {@code build} returns once the lookups it needs have answered, without waiting on any thread: for a
     * vendor call that itself needs a lookup first (a name lookup that needs a token).
     */
    public static <T> CompletableFuture<T> whenReady(Supplier<T> build) {
        try {
            return CompletableFuture.completedFuture(build.get());
        } catch (AwaitingLookup awaiting) {
            return awaiting.lookup().toCompletableFuture().thenCompose(found -> whenReady(build));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
