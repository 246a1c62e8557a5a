package org.segmentbridge.bench;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
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
    private final int connections;
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
        this.connections = connections;
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

    /**
     * {@code shed}: requests not sent because too many were unanswered when they were due (counted in failed too);
     * {@code worstMicrosByTenth}: the slowest answer among the requests due in each tenth of a second, to tell one
     * stall from a steady queue; {@code sendLagMicros}: how late this generator itself took up a due request, to
     * tell a stall of the client from one of the server (a due request still waiting for a connection is
     * the server's).
     */
    record OpenLoopResult(long sent, long ok, long failed, long shed, Histogram answerMicros, double seconds,
                          AtomicLongArray worstMicrosByTenth, long sendLagMicros) {

        /** The worst answer of each second, in ms, and the tenth of a second the slowest request was due in. */
        String timeline() {
            StringBuilder seconds = new StringBuilder();
            int worstTenth = 0;
            for (int tenth = 0; tenth < worstMicrosByTenth.length(); tenth++) {
                if (worstMicrosByTenth.get(tenth) > worstMicrosByTenth.get(worstTenth)) {
                    worstTenth = tenth;
                }
            }
            for (int second = 0; second * 10 < worstMicrosByTenth.length(); second++) {
                long worst = 0;
                for (int tenth = second * 10; tenth < Math.min(second * 10 + 10, worstMicrosByTenth.length()); tenth++) {
                    worst = Math.max(worst, worstMicrosByTenth.get(tenth));
                }
                seconds.append(seconds.isEmpty() ? "" : " ").append(worst / 1000);
            }
            return String.format("slowest answer of each second (ms): %s; the slowest was due at %.1f s; the client sent"
                    + " at most %.1f ms late", seconds, worstTenth / 10.0, sendLagMicros / 1000.0);
        }
    }

    OpenLoopResult openLoop(double perSecond, double seconds, LongFunction<Request> bodyAt) throws Exception {
        return openLoop(perSecond, seconds, Long.MAX_VALUE, bodyAt);
    }

    /**
     * Open loop (see {@link OpenLoop}) over this load's ports, at most as many connections to each as this load has. A
     * request due while {@code maxOutstanding} are unanswered is not sent and counts as failed: a rate far above what
     * the server takes would otherwise queue minutes of requests in the client. {@code bodyAt} gets the due time in
     * epoch microseconds to stamp into the event.
     */
    OpenLoopResult openLoop(double perSecond, double seconds, long maxOutstanding, LongFunction<Request> bodyAt) throws Exception {
        return new OpenLoop(host, ports, connections, authorization, UNANSWERED_AFTER_MILLIS)
                .run(perSecond, seconds, maxOutstanding, bodyAt);
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
