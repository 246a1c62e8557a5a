package org.segmentbridge.delivery;

import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.component.http.HttpEndpoint;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.hc.core5.ssl.SSLContexts;

/**
 * Every call to a vendor goes through here, on Camel's HTTP component: deliveries, and the calls connectors make
 * for themselves (name lookups, list creation, tokens, backfill queries). A call never blocks its caller: the answer
 * (any status) completes the returned future, and a call that got no answer fails it with a {@link TemporaryFailure}
 * saying why. Timeouts come from the destination's settings; the connection pool, proxy and TLS from
 * {@code camel.component.http.*}.
 *
 * <p>Only the request's own headers go out: the exchange carries nothing else but the method and URI, which Camel's
 * header filter keeps off the wire together with the headers the HTTP client sets itself (Host, Content-Length ...).
 */
public final class VendorTransport extends ServiceSupport {

    /** Every endpoint goes through the one {@code http} component, whatever the vendor's scheme. */
    private static final String COMPONENT = "http";
    /** Covers the moment between a permit and its call in {@link #longestExchange}. */
    private static final Duration PERMIT_TO_CALL = Duration.ofSeconds(2);

    private final CamelContext camel;
    private final Pacers pacers;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<String, DeliveryMetrics> metrics = new ConcurrentHashMap<>();
    private volatile ProducerTemplate producer;
    private volatile ScheduledExecutorService pacing;

    /** A transport whose pacers are this process's own. */
    public VendorTransport(CamelContext camel) {
        this(camel, new Pacers());
    }

    /** A transport pacing with {@code pacers}: shared with the other bridges on the state database, or not. */
    public VendorTransport(CamelContext camel, Pacers pacers) {
        this.camel = camel;
        this.pacers = pacers;
    }

    @Override
    protected void doStart() {
        HttpComponent http = camel.getComponent(COMPONENT, HttpComponent.class);
        // Retries and pacing are the engine's: a client re-sending on its own (after a 429 or 503 of a PUT, say)
        // would hide the answer from the pacer and spend the rate limit twice.
        http.setAutomaticRetriesDisabled(true);
        // A request carries exactly what its action built, never a cookie an earlier answer set.
        http.setCookieManagementDisabled(true);
        ExecutorServiceManager executors = camel.getExecutorServiceManager();
        ProducerTemplate template = camel.createProducerTemplate();
        // camel-http's client holds a thread while a call is in flight; a cached pool has as many as are in flight,
        // which each destination's max-concurrent-requests bounds.
        template.setExecutorService(executors.newCachedThreadPool(this, "VendorTransport"));
        pacing = executors.newSingleThreadScheduledExecutor(this, "VendorTransport pacing");
        producer = template;
    }

    @Override
    protected void doStop() throws Exception {
        if (producer != null) {
            producer.stop();
        }
        if (pacing != null) {
            camel.getExecutorServiceManager().shutdownNow(pacing);
        }
    }

    /**
     * Makes the JVM's default TLS context once, as camel-http makes one for each destination's client. The first one
     * in a JVM costs about 0.2 s (the TLS provider's setup, the trust store read and parsed), which the start spends
     * beside the rest of it (BackgroundStart) rather than before the first destination opens. The JVM keeps the trust
     * store's certificates only weakly: whoever holds the context returned keeps them for the destinations' clients.
     */
    public static SSLContext prepareTls() {
        return SSLContexts.createDefault();
    }

    /** The pacer of a credential (or of one endpoint of it), shared by every destination and call that spends it. */
    RequestPacer pacer(String key, Rate rate) {
        return pacers.pacer(key, rate);
    }

    /**
     * Builds the destination's endpoint and its client (connection pool, TLS context) now rather than on the first
     * request: a first request held up by that would reach the vendor closer to the next one than the pacer spaced
     * them, and a vendor counting strictly could answer 429.
     */
    public void open(URI baseUrl, DestinationSettings settings) {
        ((HttpEndpoint) endpointFor(baseUrl, settings)).getHttpClient();
    }

    /**
     * Sends a delivery request now; the caller has paced it and counts it. The permit is done as soon as the exchange
     * is over (answered, failed or timed out), or at once when it could not even start.
     */
    CompletableFuture<VendorAnswer> send(OutboundRequest request, DestinationSettings settings, RequestPacer.Permit permit) {
        CompletableFuture<Exchange> exchange;
        try {
            exchange = producer.asyncSend(endpointFor(request.uri(), settings), sent -> toCamel(request, sent.getIn()));
        } catch (RuntimeException e) {
            permit.done();
            throw e;
        }
        return exchange.whenComplete((over, failure) -> permit.done()).thenApply(answered -> answerOf(answered, settings));
    }

    /**
     * The longest a request sent with {@code settings} may take, from its permit to the end of its exchange: a
     * connection from the pool, then one connected, then the answer, each within its timeout; and a margin for the
     * moment between the permit and the call (building the request, a thread picking it up, a shared take's commit).
     * A request whose end is never reported counts as ended then: the vendor can no longer receive it.
     */
    static Duration longestExchange(DestinationSettings settings) {
        return settings.requestTimeout().multipliedBy(2).plus(settings.connectTimeout()).plus(PERMIT_TO_CALL);
    }

    /**
     * A connector's own call (a lookup, a token, a backfill query): sent once the credential's pacer lets it go,
     * without holding any thread meanwhile, and counted in the destination's vendor metrics under {@code purpose}.
     * A 429 pauses the credential as it does for deliveries.
     */
    public CompletableFuture<VendorAnswer> call(String purpose, OutboundRequest request, DestinationSettings settings,
                                                String credential) {
        RequestPacer pacer = pacer(credential, settings.rate());
        DeliveryMetrics counted = metrics.computeIfAbsent(settings.name(), this::metricsOf);
        CompletableFuture<VendorAnswer> answer = new CompletableFuture<>();
        whenPaced(pacer, longestExchange(settings), permit -> {
            long started = System.nanoTime();
            send(request, settings, permit).whenComplete((received, failure) -> {
                Duration latency = Duration.ofNanos(System.nanoTime() - started);
                if (failure != null) {
                    counted.vendorLatency(purpose, 0, latency);
                    answer.completeExceptionally(failure);
                    return;
                }
                counted.vendorLatency(purpose, received.status(), latency);
                if (received.status() == 429) {
                    counted.rateLimited(purpose);
                    Instant now = Instant.now();
                    pacer.pauseUntil(now.plus(received.announcedWait(now).orElse(settings.initialDelay())));
                }
                answer.complete(received);
            });
        });
        return answer;
    }

    private void whenPaced(RequestPacer pacer, Duration longest, Consumer<RequestPacer.Permit> call) {
        Instant now = Instant.now();
        Duration wait = pacer.waitTime(now);
        Optional<RequestPacer.Permit> permit = wait.isZero() ? pacer.tryTake(now, longest) : Optional.empty();
        if (permit.isPresent()) {
            call.accept(permit.get());
            return;
        }
        pacing.schedule(() -> whenPaced(pacer, longest, call), Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
    }

    private DeliveryMetrics metricsOf(String destination) {
        MeterRegistry meters = camel.getRegistry().findSingleByType(MeterRegistry.class);
        return new DeliveryMetrics(meters != null ? meters : new SimpleMeterRegistry(), destination);
    }

    /**
     * One endpoint per vendor host and timeouts: its connection pool is reused by every call there. The target of a
     * call travels in the exchange, so no path or query (Sailthru signs its parameters there) becomes part of an
     * endpoint's name.
     */
    private Endpoint endpointFor(URI target, DestinationSettings settings) {
        String uri = COMPONENT + ":" + target.getScheme() + "://" + target.getHost() + (target.getPort() < 0 ? "" : ":" + target.getPort())
                + "?connectTimeout=" + settings.connectTimeout().toMillis()
                + "&connectionRequestTimeout=" + settings.requestTimeout().toMillis()
                + "&responseTimeout=" + settings.requestTimeout().toMillis()
                // every answer is the caller's to read, whatever its status; and only the answer's headers come back
                + "&throwExceptionOnFailure=false&copyHeaders=false"
                // a body goes with whatever method the action chose (none is set when the request has no body)
                + "&getWithBody=true&deleteWithBody=true";
        return endpoints.computeIfAbsent(uri, camel::getEndpoint);
    }

    private static void toCamel(OutboundRequest request, Message message) {
        // As camel-http's enum: a String would be converted on every request, through a type-converter lookup that
        // took 7 % of the bridge's CPU in the processing drain's profile.
        message.setHeader(Exchange.HTTP_METHOD, HttpMethods.valueOf(request.method()));
        message.setHeader(Exchange.HTTP_URI, request.uri().toString());
        request.headers().forEach(message::setHeader);
        message.setBody(request.body().length == 0 ? null : request.body());
    }

    private static VendorAnswer answerOf(Exchange exchange, DestinationSettings settings) {
        Exception failure = exchange.getException();
        if (failure != null) {
            throw new TemporaryFailure(noAnswer(failure, settings), failure);
        }
        Message answer = exchange.getMessage();
        Map<String, List<String>> headers = new TreeMap<>();
        answer.getHeaders().forEach((name, value) -> {
            if (!name.startsWith("Camel")) {
                headers.put(name.toLowerCase(Locale.ROOT), List.of(headerText(value)));
            }
        });
        byte[] body = answer.getBody(byte[].class);
        return new VendorAnswer(answer.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class), headers, body == null ? new byte[0] : body);
    }

    /** Camel splits a header value at commas (an HTTP date in Retry-After among them); joined, it reads as sent. */
    private static String headerText(Object value) {
        return value instanceof List<?> parts ? String.join(", ", parts.stream().map(String::valueOf).toList()) : String.valueOf(value);
    }

    /** Why there is no answer, in words that carry no part of the request (a URL may hold a signed parameter). */
    private static String noAnswer(Throwable failure, DestinationSettings settings) {
        Throwable root = failure;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof InterruptedIOException) {
                return "no answer within " + settings.requestTimeout();
            }
            root = cause;
        }
        return "no answer: " + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
