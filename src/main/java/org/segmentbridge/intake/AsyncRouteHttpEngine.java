package org.segmentbridge.intake;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel's Vert.x platform-http engine, except that the routes of the paths named to it are run the asynchronous way.
 * <p>
 * Camel's consumer runs a route on a Vert.x worker thread and calls it synchronously, so a route that waits (here, for
 * the intake log's group commit) holds its worker until it is done: the pool's size bounds the requests in flight, and
 * each of them costs a thread parked and woken again. For these paths the worker hands the exchange to the route as an
 * {@link org.apache.camel.AsyncProcessor} and is free at once; the route's callback, whichever thread it completes
 * on, answers on the request's event loop. The bridge's intake routes end in an asynchronous processor that completes
 * when the events are durable, so a thousand requests waiting for a sync cost a thousand futures, not a thousand
 * threads.
 * <p>
 * A path whose route's first steps never wait (they decode, parse and check the body, then hand it on) may have them
 * run on the request's event loop instead, when the body is small and not compressed: such a body takes less of the
 * loop than the hand-over to a worker and back takes of both threads, and its answer comes sooner. A large or compressed
 * body still goes to a worker, so that a loop never stops serving its other connections for a long parse.
 * <p>
 * The request becomes the message as Camel's consumer makes it, a form's fields as the body (a map of each name to
 * its value, or its values in the order posted). The
 * answer is written from the message as the route left it: its status, its headers through the endpoint's header
 * filter (as Camel's consumer does: no Camel header, no request framing header goes back) and its body as bytes. A
 * request its route has not answered within {@link #ANSWER_DEADLINE} is answered 503 with Retry-After, logged, and
 * counted ({@value #OVERDUE_METRIC}, which an alert watches).
 */
public final class AsyncRouteHttpEngine extends VertxPlatformHttpEngine {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncRouteHttpEngine.class);
    /**
     * How long a request may wait for its route before it is answered 503 anyway: past the intake log's own wait for a
     * commit (30 s, answered 503 by the route), so only an answer lost on its way back is ever cut short here.
     */
    public static final Duration ANSWER_DEADLINE = Duration.ofSeconds(40);
    private static final int RETRY_AFTER_SECONDS = 5;
    static final String OVERDUE_METRIC = "bridge.intake.requests.overdue";
    /**
     * The largest body whose route's first steps may run on the event loop: a few Segment events. Parsing and checking
     * 16 KiB of JSON takes well under a millisecond; a batch of 500 KB would hold the loop for several.
     */
    static final int EVENT_LOOP_MAX_BODY_BYTES = 16 * 1024;

    /** Where the first steps of a path's route run, up to the point where it waits asynchronously. */
    public enum FirstSteps {
        /** On a Vert.x worker: the steps may wait (for a database, a broker's metadata). */
        ON_A_WORKER,
        /**
         * On the request's event loop when the body is small ({@value #EVENT_LOOP_MAX_BODY_BYTES} bytes at most) and not
         * compressed, else on a worker: the steps never wait.
         */
        ON_THE_EVENT_LOOP_WHEN_SMALL
    }

    private final Map<String, FirstSteps> asyncPaths = new ConcurrentHashMap<>();
    private final MeterRegistry meters;
    private final Duration answerDeadline;

    /** @param meters where the requests answered at the deadline are counted */
    public AsyncRouteHttpEngine(MeterRegistry meters) {
        this(meters, ANSWER_DEADLINE);
    }

    AsyncRouteHttpEngine(MeterRegistry meters, Duration answerDeadline) {
        this.meters = meters;
        this.answerDeadline = answerDeadline;
    }

    /**
     * The route of this platform-http path (as the route gives it) completes asynchronously: it is run the
     * asynchronous way, its first steps where {@code firstSteps} says. Name it before the route starts.
     */
    public void runAsynchronously(String path, FirstSteps firstSteps) {
        asyncPaths.put(path, firstSteps);
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        FirstSteps firstSteps = asyncPaths.get(endpoint.getPath());
        if (firstSteps == null) {
            return super.createConsumer(endpoint, processor);
        }
        Counter overdue = Counter.builder(OVERDUE_METRIC)
                .description("Requests whose route had not answered within the answer deadline; answered 503 with Retry-After")
                .tag("path", endpoint.getPath())
                .register(meters);
        return new AsyncRouteConsumer(endpoint, processor, getHandlers(), VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()),
                answerDeadline, overdue, firstSteps);
    }

    private static final class AsyncRouteConsumer extends VertxPlatformHttpConsumer {

        /** A request handed to its route and not answered yet. */
        private record Waiting(RoutingContext request, Context eventLoop, long sinceNanos) {
        }

        private final Duration answerDeadline;
        private final Counter overdue;
        private final FirstSteps firstSteps;
        /** What the deadline's sweep looks at; an entry costs a map put and remove per request, no timer. */
        private final Map<Exchange, Waiting> waiting = new ConcurrentHashMap<>();
        private final String routerName;
        private Vertx vertx;
        private long sweep;

        AsyncRouteConsumer(PlatformHttpEndpoint endpoint, Processor processor, List<Handler<RoutingContext>> handlers, String routerName,
                           Duration answerDeadline, Counter overdue, FirstSteps firstSteps) {
            super(endpoint, processor, handlers, routerName);
            this.routerName = routerName;
            this.answerDeadline = answerDeadline;
            this.overdue = overdue;
            this.firstSteps = firstSteps;
        }

        @Override
        protected void doStart() throws Exception {
            super.doStart();
            // A Vert.x timer, not a thread: the sweep only looks at the map and hands each overdue answer to its loop.
            // The router as Camel's consumer finds it: by the server's port, or the one of port 0 (a port chosen at start).
            VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getEndpoint().getCamelContext(), routerName);
            if (router == null) {
                router = VertxPlatformHttpRouter.lookup(getEndpoint().getCamelContext(), VertxPlatformHttpRouter.PLATFORM_HTTP_ROUTER_NAME_ZERO);
            }
            vertx = router.vertx();
            long tick = Math.max(100, Math.min(1_000, answerDeadline.toMillis() / 4));
            sweep = vertx.setPeriodic(tick, ignored -> answerOverdue());
        }

        @Override
        protected void doStop() throws Exception {
            if (vertx != null) {
                vertx.cancelTimer(sweep);
            }
            super.doStop();
        }

        /**
         * No request waits forever: one whose route has not answered by the deadline is answered 503 with Retry-After
         * (its sender sends it again; what was stored meanwhile is dropped again by messageId), and it is logged, as a
         * defect to report.
         */
        private void answerOverdue() {
            long now = System.nanoTime();
            waiting.forEach((exchange, each) -> {
                if (now - each.sinceNanos() > answerDeadline.toNanos() && waiting.remove(exchange, each)) {
                    each.eventLoop().runOnContext(ignored -> {
                        HttpServerResponse response = each.request().response();
                        if (!response.ended()) {
                            overdue.increment();
                            LOG.warn("A request to {} had no answer from its route after {} ms; answered 503 (exchange {})",
                                    getEndpoint().getPath(), answerDeadline.toMillis(), exchange.getExchangeId());
                            response.setStatusCode(503).putHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS))
                                    .end("no answer within " + answerDeadline.toSeconds() + " s; nothing is lost, send it again");
                        }
                    });
                }
            });
        }

        @Override
        protected void handleRequest(RoutingContext request) {
            if (isSuspended()) {
                request.response().setStatusCode(503);
                request.end();
                return;
            }
            Context eventLoop = request.vertx().getOrCreateContext();
            Exchange exchange = createExchange(false);
            exchange.setPattern(ExchangePattern.InOut);
            waiting.put(exchange, new Waiting(request, eventLoop, System.nanoTime()));
            processHttpRequest(exchange, request).onComplete(read -> {
                if (read.failed()) {
                    fail(request, exchange, read.cause());
                    return;
                }
                formFields(request.request().formAttributes()).ifPresent(exchange.getMessage()::setBody);
                if (firstSteps == FirstSteps.ON_THE_EVENT_LOOP_WHEN_SMALL && smallAndPlain(request)) {
                    try {
                        runRoute(request, exchange, eventLoop);
                    } catch (Exception | Error failure) { // as a worker's failure is, whatever it threw
                        fail(request, exchange, failure);
                    }
                    return;
                }
                request.vertx().executeBlocking(() -> {
                    runRoute(request, exchange, eventLoop);
                    return null;
                }, false).onFailure(failure -> fail(request, exchange, failure));
            });
        }

        /** Runs the route up to where it waits; its callback, on whichever thread, answers on the request's loop. */
        private void runRoute(RoutingContext request, Exchange exchange, Context eventLoop) throws Exception {
            createUoW(exchange);
            getAsyncProcessor().process(exchange, doneSync -> eventLoop.runOnContext(ignored -> answer(request, exchange)));
        }

        /** A body the event loop parses sooner than it hands it to a worker: small, and sent as it is meant. */
        private static boolean smallAndPlain(RoutingContext request) {
            int length = request.body().length();
            return length >= 0 && length <= EVENT_LOOP_MAX_BODY_BYTES && request.request().getHeader("Content-Encoding") == null;
        }

        /** A form's fields (Vert.x' body handler decoded them), as Camel's consumer hands them to a route; none for JSON. */
        private static java.util.Optional<Map<String, Object>> formFields(MultiMap form) {
            if (form.isEmpty()) {
                return java.util.Optional.empty();
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            for (String name : form.names()) {
                List<String> values = form.getAll(name);
                fields.put(name, values.size() == 1 ? values.get(0) : values);
            }
            return java.util.Optional.of(fields);
        }

        private void answer(RoutingContext request, Exchange exchange) {
            try {
                HttpServerResponse response = request.response();
                if (response.ended()) {
                    return; // closed by the client, or timed out
                }
                if (exchange.getException() != null) {
                    getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(),
                            exchange, exchange.getException());
                    response.setStatusCode(500).end();
                    return;
                }
                Message message = exchange.getMessage();
                response.setStatusCode(message.getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class));
                HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
                message.getHeaders().forEach((name, value) -> {
                    if (value != null && !filter.applyFilterToCamelHeaders(name, value, exchange)) {
                        response.putHeader(name, value.toString());
                    }
                });
                // The filter keeps Content-Type back, as Camel's consumer does, which sets it from the message.
                String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
                if (contentType != null) {
                    response.putHeader(Exchange.CONTENT_TYPE, contentType);
                }
                byte[] body = message.getBody(byte[].class);
                response.end(body == null ? Buffer.buffer() : Buffer.buffer(body));
            } catch (RuntimeException e) {
                getExceptionHandler().handleException("Failed answering platform-http endpoint " + getEndpoint().getPath(), exchange, e);
                request.fail(e);
            } finally {
                done(exchange);
            }
        }

        private void fail(RoutingContext request, Exchange exchange, Throwable failure) {
            getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(), failure);
            request.fail(failure);
            done(exchange);
        }

        private void done(Exchange exchange) {
            waiting.remove(exchange);
            doneUoW(exchange);
            releaseExchange(exchange, false);
        }
    }
}
