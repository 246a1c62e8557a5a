package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.test.AvailablePortFinder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.segmentbridge.support.TestHttp;

/**
 * The engine's consumer hands a request to an asynchronous route and frees its worker: many more requests than
 * workers wait in the route at once, and each is answered, from the message the route left, when the route completes.
 */
class AsyncRouteHttpEngineTest {

    private static final int WORKERS = 2;

    private final List<Runnable> waitingInRoute = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.LinkedBlockingQueue<CompletableFuture<Void>> committing = new java.util.concurrent.LinkedBlockingQueue<>();
    private final HttpClient client = TestHttp.client(Duration.ofSeconds(5));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Vertx vertx;
    private CamelContext context;
    private int port;

    @BeforeEach
    void start() throws Exception {
        start(AsyncRouteHttpEngine.ANSWER_DEADLINE, AvailablePortFinder.getNextAvailable());
    }

    /** @param port the server's port; 0 lets the system choose one as the server starts */
    private void start(Duration answerDeadline, int port) throws Exception {
        this.port = port;
        vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(WORKERS));
        context = new DefaultCamelContext();
        // A request left in a route that never completes would hold the stop for Camel's default 45 s.
        context.getShutdownStrategy().setTimeout(1);
        context.getRegistry().bind("vertx", Vertx.class, vertx);
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindPort(port);
        context.addService(new VertxPlatformHttpServer(configuration));
        AsyncRouteHttpEngine engine = new AsyncRouteHttpEngine(meters, answerDeadline);
        List.of("/later", "/before-return", "/grouped", "/failing", "/never", "/thread-on-worker")
                .forEach(path -> engine.runAsynchronously(path, AsyncRouteHttpEngine.FirstSteps.ON_A_WORKER));
        List.of("/loop-later", "/thread")
                .forEach(path -> engine.runAsynchronously(path, AsyncRouteHttpEngine.FirstSteps.ON_THE_EVENT_LOOP_WHEN_SMALL));
        engine.setCamelContext(context);
        context.getRegistry().bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, PlatformHttpEngine.class, engine);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // Complete when the test says so, on the test's thread: as the intake does once its group commit is durable.
                from("platform-http:/later?httpMethodRestrict=POST").process(completedByTheTest());
                from("platform-http:/loop-later?httpMethodRestrict=POST").process(completedByTheTest());
                // Answer with the name of the thread that ran the route's first step.
                AsyncProcessorSupport threadName = new AsyncProcessorSupport() {
                    @Override
                    public boolean process(Exchange exchange, AsyncCallback callback) {
                        exchange.getMessage().setBody(Thread.currentThread().getName().getBytes(StandardCharsets.UTF_8));
                        callback.done(true);
                        return true;
                    }
                };
                from("platform-http:/thread?httpMethodRestrict=POST").process(threadName);
                from("platform-http:/thread-on-worker?httpMethodRestrict=POST").process(threadName);
                // Completes on another thread before process() returns: as when the commit beats the route to it.
                from("platform-http:/before-return?httpMethodRestrict=POST").process(new AsyncProcessorSupport() {
                    @Override
                    public boolean process(Exchange exchange, AsyncCallback callback) {
                        Thread completing = new Thread(() -> {
                            exchange.getMessage().setBody("done early".getBytes(StandardCharsets.UTF_8));
                            callback.done(false);
                        });
                        completing.start();
                        try {
                            completing.join();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return false;
                    }
                });
                // Completed in groups by one thread of its own, as the intake log's committer completes its appends.
                from("platform-http:/grouped?httpMethodRestrict=POST").process(new AsyncProcessorSupport() {
                    @Override
                    public boolean process(Exchange exchange, AsyncCallback callback) {
                        CompletableFuture<Void> committed = new CompletableFuture<>();
                        committing.add(committed);
                        if (committed.isDone()) {
                            exchange.getMessage().setBody("ok".getBytes(StandardCharsets.UTF_8));
                            callback.done(true);
                            return true;
                        }
                        committed.whenComplete((ignored, failure) -> {
                            exchange.getMessage().setBody("ok".getBytes(StandardCharsets.UTF_8));
                            callback.done(false);
                        });
                        return false;
                    }
                });
                // Never completes: its answer is lost.
                from("platform-http:/never?httpMethodRestrict=POST").process(new AsyncProcessorSupport() {
                    @Override
                    public boolean process(Exchange exchange, AsyncCallback callback) {
                        return false;
                    }
                });
                from("platform-http:/failing?httpMethodRestrict=POST")
                        .process(exchange -> exchange.setException(new IllegalStateException("broken route")));
                // Not one of the engine's paths: Camel's own consumer serves it.
                from("platform-http:/now?httpMethodRestrict=POST").setBody(constant("now"));
            }
        });
        context.start();
    }

    private AsyncProcessorSupport completedByTheTest() {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                String body = exchange.getMessage().getBody(String.class);
                waitingInRoute.add(() -> {
                    exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
                    exchange.getMessage().setHeader("X-Answered", "later");
                    exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/plain");
                    exchange.getMessage().setBody(("stored " + body).getBytes(StandardCharsets.UTF_8));
                    callback.done(false);
                });
                return false;
            }
        };
    }

    @AfterEach
    void stop() {
        waitingInRoute.forEach(Runnable::run);
        context.stop();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** Whichever thread runs a route's first steps, a request waiting in it holds none: neither a worker nor its loop. */
    @ParameterizedTest
    @ValueSource(strings = {"/later", "/loop-later"})
    void requestsWaitingInAnAsynchronousRouteHoldNoThreadAndAreAnsweredWhenItCompletes(String path) throws Exception {
        int requests = WORKERS * 6;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            answers.add(client.sendAsync(post(path, "event " + i), HttpResponse.BodyHandlers.ofString()));
        }
        // With two workers, twelve requests are in the route at once: none of them holds a worker while it waits.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> waitingInRoute.size() == requests);
        assertThat(answers).noneMatch(CompletableFuture::isDone);

        List<Runnable> completing = List.copyOf(waitingInRoute);
        waitingInRoute.clear();
        completing.forEach(Runnable::run);

        List<String> bodies = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(202);
            assertThat(response.headers().firstValue("X-Answered")).hasValue("later");
            assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
            assertThat(response.headers().map().keySet()).noneMatch(name -> name.toLowerCase().startsWith("camel"));
            assertThat(response.headers().firstValue("Content-Length")).hasValue(String.valueOf(response.body().length()));
            bodies.add(response.body());
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            expected.add("stored event " + i);
        }
        assertThat(bodies).containsExactlyElementsOf(expected);
    }

    @Test
    void aRouteThatCompletesBeforeItsProcessorReturnsIsAnsweredEveryTime() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            answers.add(client.sendAsync(post("/before-return", "x"), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("done early");
        }
    }

    @Test
    void manyConcurrentRequestsCompletedInGroupsByAnotherThreadAreEachAnswered() throws Exception {
        Thread committer = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    List<CompletableFuture<Void>> group = new ArrayList<>();
                    group.add(committing.take());
                    committing.drainTo(group);
                    group.forEach(each -> each.complete(null));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "test-committer");
        committer.start();
        try {
            java.util.concurrent.Semaphore connections = new java.util.concurrent.Semaphore(16);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                connections.acquire();
                answers.add(client.sendAsync(post("/grouped", "x"), HttpResponse.BodyHandlers.ofString())
                        .whenComplete((response, failure) -> connections.release()));
            }
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                assertThat(answer.get(10, java.util.concurrent.TimeUnit.SECONDS).body()).isEqualTo("ok");
            }
        } finally {
            committer.interrupt();
        }
    }

    @Test
    void aRequestWhoseRouteNeverAnswersIsAnswered503WithRetryAfterAtTheDeadline() throws Exception {
        stop();
        start(Duration.ofSeconds(2), AvailablePortFinder.getNextAvailable());
        long sent = System.nanoTime();
        HttpResponse<String> response = client.send(post("/never", "x"), HttpResponse.BodyHandlers.ofString());
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(response.body()).contains("no answer within 2 s");
        assertThat(meters.get(AsyncRouteHttpEngine.OVERDUE_METRIC).tag("path", "/never").counter().count()).isEqualTo(1.0);
        assertThat(meters.get(AsyncRouteHttpEngine.OVERDUE_METRIC).tag("path", "/later").counter().count()).isZero();
    }

    /** As the build's class-data archive starts the bridge (BRIDGE_HTTP_PORT=0): the consumers find the router of port 0. */
    @Test
    void theRoutesStartOnAServerWhosePortIsChosenAtStart() throws Exception {
        stop();
        start(AsyncRouteHttpEngine.ANSWER_DEADLINE, 0);
        assertThat(context.getRoutes()).allSatisfy(route -> assertThat(context.getRouteController().getRouteStatus(route.getRouteId()).isStarted())
                .as(route.getEndpoint().getEndpointUri()).isTrue());
    }

    @Test
    void aRouteThatFailsIsAnswered500AndAnotherPathIsServedByCamelsOwnConsumer() throws Exception {
        HttpResponse<String> failed = client.send(post("/failing", "x"), HttpResponse.BodyHandlers.ofString());
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.body()).doesNotContain("broken route");

        HttpResponse<String> now = client.send(post("/now", "x"), HttpResponse.BodyHandlers.ofString());
        assertThat(now.statusCode()).isEqualTo(200);
        assertThat(now.body()).isEqualTo("now");
    }

    @Test
    void aSmallPlainBodyRunsItsRouteOnTheEventLoopAndALargeOrCompressedOneOnAWorker() throws Exception {
        assertThat(client.send(post("/thread", "{}"), HttpResponse.BodyHandlers.ofString()).body())
                .startsWith("vert.x-eventloop-thread-");
        String atTheLimit = "x".repeat(AsyncRouteHttpEngine.EVENT_LOOP_MAX_BODY_BYTES);
        assertThat(client.send(post("/thread", atTheLimit), HttpResponse.BodyHandlers.ofString()).body())
                .startsWith("vert.x-eventloop-thread-");
        assertThat(client.send(post("/thread", atTheLimit + "x"), HttpResponse.BodyHandlers.ofString()).body())
                .startsWith("vert.x-worker-thread-");
        // Decompressed, a small body may be large: a worker decodes it.
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(gzipped)) {
            gzip.write("{}".getBytes(StandardCharsets.UTF_8));
        }
        HttpRequest compressed = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/thread")).timeout(Duration.ofSeconds(10))
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gzipped.toByteArray())).build();
        assertThat(client.send(compressed, HttpResponse.BodyHandlers.ofString()).body()).startsWith("vert.x-worker-thread-");
        // A path whose first steps may wait never runs them on the loop.
        assertThat(client.send(post("/thread-on-worker", "{}"), HttpResponse.BodyHandlers.ofString()).body())
                .startsWith("vert.x-worker-thread-");
    }

    private HttpRequest post(String path, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
