package org.segmentbridge;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import org.apache.camel.Service;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Work of the start that nothing else waits for early (the state database's migration, the queue broker's start, the
 * mapping files), each on a thread of its own while the start goes on with the Camel context, the route files and the
 * HTTP servers: a start that did them one after the other spent most of its time on one core, in class loading. Added
 * to the context as a service, it waits for all of them where the services they were would have started, so every
 * service after it (and every route, and health's 200) still comes after a migrated store and a running broker, and a
 * failure fails the start with the task's own exception.
 */
final class BackgroundStart extends ServiceSupport {

    private final List<CompletableFuture<?>> tasks = new ArrayList<>();
    /** What started before the context did, in the order it started. */
    private final List<Service> started = new ArrayList<>();

    /** Notes a service the configuration started itself, so that {@link #abandon} stops it too. */
    void started(Service service) {
        started.add(service);
    }

    /** Starts {@code service} on a thread of its own; the context's own start of it later finds it started. */
    void start(String name, Service service) {
        started.add(service);
        supply(name, () -> {
            service.start();
            return service;
        });
    }

    /** Runs {@code work} on a thread of its own; the supplier waits for its result (or throws its exception). */
    <T> Supplier<T> supply(String name, Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "bridge-start-" + name);
        thread.setDaemon(true);
        thread.start();
        tasks.add(result);
        return () -> await(result);
    }

    @Override
    protected void doStart() {
        tasks.forEach(BackgroundStart::await);
    }

    /**
     * The configuration failed after this began: waits for the tasks and stops what they and the configuration
     * started, newest first, so that no broker or database outlives a start that failed (tests go on in the same JVM).
     */
    void abandon() {
        for (CompletableFuture<?> task : tasks) {
            task.exceptionally(failure -> null).join();
        }
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).stop();
            } catch (RuntimeException alsoFailed) {
                // the configuration's own failure is the one to report
            }
        }
    }

    private static <T> T await(CompletableFuture<T> task) {
        try {
            return task.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
