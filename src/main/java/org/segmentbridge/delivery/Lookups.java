package org.segmentbridge.delivery;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Vendor lookups under way, one per key: the first asker starts it, whoever asks while it runs joins it, and once it
 * has completed the next asker starts a new one. What a lookup found is the caller's to keep (its cache is filled
 * before the lookup completes, so an asker that comes after finds it there).
 */
public final class Lookups {

    private final ConcurrentMap<String, CompletableFuture<?>> running = new ConcurrentHashMap<>();

    /** The lookup of {@code key} under way, or {@code lookup} started now. */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> shared(String key, Supplier<CompletableFuture<T>> lookup) {
        CompletableFuture<T> mine = new CompletableFuture<>();
        CompletableFuture<?> under = running.putIfAbsent(key, mine);
        if (under != null) {
            return (CompletableFuture<T>) under;
        }
        CompletableFuture<T> started;
        try {
            started = lookup.get();
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        started.whenComplete((value, failure) -> {
            running.remove(key, mine);
            if (failure != null) {
                mine.completeExceptionally(AwaitingLookup.failureOf(failure));
            } else {
                mine.complete(value);
            }
        });
        return mine;
    }

    /** The exception to throw while the lookup of {@code key} (under way, or started now) has not answered. */
    public <T> AwaitingLookup awaiting(String key, Supplier<CompletableFuture<T>> lookup) {
        return new AwaitingLookup(key, shared(key, lookup));
    }
}
