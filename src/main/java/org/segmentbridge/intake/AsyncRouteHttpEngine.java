package org.segmentbridge.intake;

import java.util.List;
import java.util.Set;

import io.vertx.core.Context;
import io.vertx.core.Handler;
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

/**
 * Camel's Vert.x platform-http engine, except that the routes of the given paths are run the asynchronous way.
 * <p>
 * Camel's consumer runs a route on a Vert.x worker thread and calls it synchronously, so a route that waits (here, for
 * the intake log's group commit) holds its worker until it is done: the pool's size bounds the requests in flight, and
 * each of them costs a thread parked and woken again. For these paths the worker hands the exchange to the route as an
 * {@link org.apache.camel.AsyncProcessor} and is free at once; the route's callback, whichever thread it completes
 * on, answers on the request's event loop. The bridge's intake routes end in an asynchronous processor that completes
 * when the events are durable, so a thousand requests waiting for a sync cost a thousand futures, not a thousand
 * threads.
 * <p>
 * Only routes that take JSON use it: Camel's consumer also turns a form body into a map, which these do not need. The
 * answer is written from the message as the route left it: its status, its headers through the endpoint's header
 * filter (as Camel's consumer does: no Camel header, no request framing header goes back) and its body as bytes.
 */
public final class AsyncRouteHttpEngine extends VertxPlatformHttpEngine {

    private final Set<String> asyncPaths;

    /** @param asyncPaths the platform-http paths (as the routes give them) whose routes complete asynchronously */
    public AsyncRouteHttpEngine(Set<String> asyncPaths) {
        this.asyncPaths = Set.copyOf(asyncPaths);
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        if (!asyncPaths.contains(endpoint.getPath())) {
            return super.createConsumer(endpoint, processor);
        }
        return new AsyncRouteConsumer(endpoint, processor, getHandlers(), VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
    }

    private static final class AsyncRouteConsumer extends VertxPlatformHttpConsumer {

        AsyncRouteConsumer(PlatformHttpEndpoint endpoint, Processor processor, List<Handler<RoutingContext>> handlers, String routerName) {
            super(endpoint, processor, handlers, routerName);
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
            processHttpRequest(exchange, request).onComplete(read -> {
                if (read.failed()) {
                    fail(request, exchange, read.cause());
                    return;
                }
                // The route's first steps (decoding, parsing, validating the body) are work for a worker, not the
                // event loop; its end is not.
                request.vertx().executeBlocking(() -> {
                    createUoW(exchange);
                    getAsyncProcessor().process(exchange, doneSync -> eventLoop.runOnContext(ignored -> answer(request, exchange)));
                    return null;
                }, false).onFailure(failure -> fail(request, exchange, failure));
            });
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
            doneUoW(exchange);
            releaseExchange(exchange, false);
        }
    }
}
