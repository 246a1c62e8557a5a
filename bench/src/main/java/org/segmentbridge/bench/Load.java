package org.segmentbridge.bench;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.HdrHistogram.Histogram;

/**
 * HTTP load against the intake: pushes of prepared bodies, open-loop at a fixed rate, and closed-loop at N connections.
 * Given several ports (bridges of one cluster), each request goes to the next one in turn, as a round-robin load
 * balancer would send it.
 */
final class Load {

    private final Vertx vertx;
    private final String host = "127.0.0.1";
    private final int[] ports;
    private final AtomicInteger turn = new AtomicInteger();
    private final String authorization;
    private final HttpClient client;
    /**
     * The one event loop every request is begun on and answered on. Begun from the open loop's own thread, each request
     * got a context of its own, and in about half of the runs of 2026-12-03 one or two of 12,000-50,000 futures never
     * completed although the bridge had answered every request (its in-flight gauges back at 0).
     */
    private final Context context;

    Load(Vertx vertx, int port, String authorization, int connections) {
        this(vertx, new int[] {port}, authorization, connections);
    }

    /** {@code connections}: at most this many to each port. */
    Load(Vertx vertx, int[] ports, String authorization, int connections) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.ports = ports.clone();
        this.authorization = authorization;
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(false)
                        .setIdleTimeout(0),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    }

    void close() {
        client.close();
    }

    /**
     * How long a request may go without any answer before it counts as unanswered (status 0). The bridge answers every
     * request within its own deadline (40 s, a 503 at worst), so a request past this was lost on the way, and the run
     * counts it as a non-200 instead of waiting for it for ever. The same bound applies to the wait for one of the
     * pool's connections, which has no idle timeout of its own.
     */
    static final long UNANSWERED_AFTER_MILLIS = 60_000;

    /** The longest one request can take before it is counted: a pooled connection, then its answer. */
    static final long REQUEST_BOUND_MILLIS = 2 * UNANSWERED_AFTER_MILLIS;

    /** One POST; completes with the status (0 when no answer). */
    Future<Integer> post(String path, Buffer body) {
        if (Vertx.currentContext() == context) {
            return send(path, body);
        }
        Promise<Integer> status = Promise.promise();
        context.runOnContext(ignored -> send(path, body).onComplete(status));
        return status.future();
    }

    private Future<Integer> send(String path, Buffer body) {
        int port = ports.length == 1 ? ports[0] : ports[Math.floorMod(turn.getAndIncrement(), ports.length)];
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port).setURI(path)
                .setConnectTimeout(UNANSWERED_AFTER_MILLIS).setIdleTimeout(UNANSWERED_AFTER_MILLIS)
                .putHeader("Content-Type", "application/json");
        if (authorization != null) {
            options.putHeader("Authorization", authorization);
        }
        return client.request(options)
                .compose(request -> request.send(body))
                .compose(response -> response.body().map(ignored -> response.statusCode()))
                .otherwise(0);
    }

    record PushResult(int requests, int retries, double seconds) {
    }

    /**
     * Sends every body once with at most {@code concurrency} requests in flight, sending again (after 100 ms) any that
     * is not answered 200, so that when this returns every event is stored.
     */
    PushResult push(String path, List<Buffer> bodies, int concurrency) throws Exception {
        long started = System.nanoTime();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger retries = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        CompletableFuture<Void> all = new CompletableFuture<>();
        if (bodies.isEmpty()) {
            return new PushResult(0, 0, 0);
        }
        Runnable[] worker = new Runnable[1];
        worker[0] = () -> {
            int index = next.getAndIncrement();
            if (index >= bodies.size()) {
                return;
            }
            sendUntilStored(path, bodies.get(index), retries).onComplete(done -> {
                if (finished.incrementAndGet() == bodies.size()) {
                    all.complete(null);
                } else {
                    worker[0].run();
                }
            });
        };
        for (int i = 0; i < Math.min(concurrency, bodies.size()); i++) {
            worker[0].run();
        }
        all.get(10, TimeUnit.MINUTES);
        return new PushResult(bodies.size(), retries.get(), (System.nanoTime() - started) / 1e9);
    }

    private Future<Integer> sendUntilStored(String path, Buffer body, AtomicInteger retries) {
        return post(path, body).compose(status -> {
            if (status == 200) {
                return Future.succeededFuture(status);
            }
            retries.incrementAndGet();
            return Future.<Void>future(promise -> vertx.setTimer(100, id -> promise.complete()))
                    .compose(ignored -> sendUntilStored(path, body, retries));
        });
    }

    /** {@code shed}: requests not sent because too many were unanswered when they were due (counted in failed too). */
    record OpenLoopResult(long sent, long ok, long failed, long shed, Histogram answerMicros, double seconds) {
    }

    OpenLoopResult openLoop(double perSecond, double seconds, LongFunction<Request> bodyAt) throws Exception {
        return openLoop(perSecond, seconds, Long.MAX_VALUE, bodyAt);
    }

    /**
     * Open loop: request {@code i} is due at {@code start + i / rate} whatever happened to the others (no coordinated
     * omission); {@code bodyAt} gets the due time in epoch microseconds to stamp into the event, and the answer time is
     * measured from that due time too. A request due while {@code maxOutstanding} are unanswered is not sent and counts
     * as failed: a rate far above what the server takes would otherwise queue minutes of requests in the client.
     */
    OpenLoopResult openLoop(double perSecond, double seconds, long maxOutstanding, LongFunction<Request> bodyAt) throws Exception {
        long count = Math.round(perSecond * seconds);
        long intervalNanos = Math.round(1e9 / perSecond);
        long startNanos = System.nanoTime() + 20_000_000L;
        long startMicros = FakeVendors.epochMicros() + 20_000L;
        Histogram answers = new Histogram(3_600_000_000L, 3);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong done = new AtomicLong();
        Map<Long, Long> unanswered = new ConcurrentHashMap<>();
        long shed = 0;
        CompletableFuture<Void> all = new CompletableFuture<>();
        for (long i = 0; i < count; i++) {
            long due = startNanos + i * intervalNanos;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (i - done.get() >= maxOutstanding) {
                shed++;
                failed.incrementAndGet();
                if (done.incrementAndGet() == count) {
                    all.complete(null);
                }
                continue;
            }
            Request request = bodyAt.apply(startMicros + (due - startNanos) / 1000);
            long index = i;
            unanswered.put(index, due);
            post(request.path(), request.body()).onComplete(answer -> {
                unanswered.remove(index);
                long micros = (System.nanoTime() - due) / 1000;
                synchronized (answers) {
                    answers.recordValue(Math.min(micros, 3_600_000_000L));
                }
                if (answer.succeeded() && answer.result() == 200) {
                    ok.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                if (done.incrementAndGet() == count) {
                    all.complete(null);
                }
            });
        }
        try {
            all.get(REQUEST_BOUND_MILLIS + 10_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Past every bound the client sets, a request still without an outcome is counted as failed, and the
            // run goes on saying which requests they were.
            Map<Long, Long> left = new TreeMap<>(unanswered);
            failed.addAndGet(left.size());
            BenchRun.log(String.format("open loop: %d of %d requests had no outcome %d s after the last was due (counted as"
                            + " failed): request %s", left.size(), count, (REQUEST_BOUND_MILLIS + 10_000) / 1000,
                    left.entrySet().stream().limit(5).map(entry -> String.format("#%d due at %.3f s", entry.getKey(),
                            (entry.getValue() - startNanos) / 1e9)).toList()));
        }
        return new OpenLoopResult(count, ok.get(), failed.get(), shed, answers, count / perSecond);
    }

    record Request(String path, Buffer body) {
    }

    record ClosedLoopResult(long requests, long non200, Histogram latencyMicros, double seconds) {
    }

    /**
     * Closed loop (used when wrk is not available): {@code connections} clients each send the next body as soon as
     * the previous answer arrived, for {@code seconds}.
     */
    ClosedLoopResult closedLoop(String path, List<Buffer> bodies, int connections, double seconds) throws Exception {
        Histogram latency = new Histogram(3_600_000_000L, 3);
        AtomicLong requests = new AtomicLong();
        AtomicLong non200 = new AtomicLong();
        AtomicInteger cursor = new AtomicInteger();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        AtomicInteger running = new AtomicInteger(connections);
        CompletableFuture<Void> all = new CompletableFuture<>();
        Runnable[] loop = new Runnable[1];
        loop[0] = () -> {
            long started = System.nanoTime();
            if (started >= end) {
                if (running.decrementAndGet() == 0) {
                    all.complete(null);
                }
                return;
            }
            Buffer body = bodies.get(Math.floorMod(cursor.getAndIncrement(), bodies.size()));
            post(path, body).onComplete(answer -> {
                synchronized (latency) {
                    latency.recordValue(Math.min((System.nanoTime() - started) / 1000, 3_600_000_000L));
                }
                requests.incrementAndGet();
                if (!answer.succeeded() || answer.result() != 200) {
                    non200.incrementAndGet();
                }
                loop[0].run();
            });
        };
        long began = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            loop[0].run();
        }
        all.get(10, TimeUnit.MINUTES);
        return new ClosedLoopResult(requests.get(), non200.get(), latency, (System.nanoTime() - began) / 1e9);
    }
}
