package org.segmentbridge.intake;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.queue.QueueCapacity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission control in front of the intake and webhook endpoints, on Vert.x's event loop before any body is
 * buffered (and, on every endpoint, no credential taken from a URL). A request is admitted only while the bodies and events in flight stay within a memory budget and the
 * queue can take more; otherwise it is answered 503 with {@code Retry-After} at once (Segment's libraries and its
 * Webhooks destination retry a 5xx), and its body is read and dropped, never held. A body that has not fully arrived
 * within the body timeout is answered 408, so a slow sender cannot hold a share of the budget.
 */
public final class IntakeAdmission implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger(IntakeAdmission.class);
    /** Memory frees as soon as the requests in flight are stored: a second is usually enough. */
    static final int MEMORY_RETRY_AFTER_SECONDS = 1;
    /** A stopping bridge is back (or another one takes its place) within seconds. */
    static final int STOPPING_RETRY_AFTER_SECONDS = 5;
    /** A starting bridge has its routes up within a second or two of its server listening. */
    static final int STARTING_RETRY_AFTER_SECONDS = 1;
    private static final String TRACKING_API = "/v1/";
    static final String WEBHOOKS = "/webhooks/";
    /** The headers the bridge authenticates by, on every endpoint (intake, webhooks, admin). */
    private static final List<String> CREDENTIAL_HEADERS = List.of("Authorization", "X-Signature");

    /**
     * @param maxBytes     body bytes of admitted requests in flight; a body without Content-Length counts as the
     *                     largest one an endpoint takes
     * @param maxEvents    events parsed from admitted requests and not yet stored
     * @param bodyTimeout  how long a body may take to arrive in full
     * @param largestTrackingBody the largest body {@code /v1/*} takes, what a body without Content-Length reserves there
     * @param largestWebhookBody  likewise for {@code /webhooks/*}
     */
    public record Limits(long maxBytes, long maxEvents, Duration bodyTimeout, long largestTrackingBody, long largestWebhookBody) {

        /** Read from the {@code bridge.intake.*} settings; {@code auto} budgets are fractions of the maximum heap. */
        public static Limits from(SettingsReader settings, long maxHeapBytes, long largestTrackingBody, long largestWebhookBody) {
            long bytes = settings.bytes("bridge.intake.max-in-flight-bytes", "auto")
                    .orElse(Math.max(1024 * 1024, maxHeapBytes / HEAP_SHARE_FOR_BODIES));
            long events = settings.count("bridge.intake.max-in-flight-events", "auto")
                    .orElse(Math.max(1000, maxHeapBytes / HEAP_BYTES_PER_EVENT));
            return new Limits(bytes, events, settings.duration("bridge.intake.body-timeout"), largestTrackingBody, largestWebhookBody);
        }
    }

    /**
     * Raw bodies while they arrive and are parsed: a 64th of the heap (4 MB with {@code -Xmx256m}, eight full batches
     * of Segment's 500 KB). A parsed body takes about ten times its size.
     */
    static final long HEAP_SHARE_FOR_BODIES = 64;
    /**
     * What one event costs while it is stored: its JSON tree, its ledger and identity rows in the database's open
     * transaction, its queue message. Measured near 8 KB for a small track; counted as 32 KB so that the events in
     * flight (8,192 with {@code -Xmx256m}, three full batches) hold at most a quarter of the heap, the rest being the
     * queue's paging buffer, the database's cache and delivery. Two cores store no faster with more in flight.
     */
    static final long HEAP_BYTES_PER_EVENT = 32 * 1024;

    /**
     * Every reason a request is refused for: 503 for memory, events, disk and backlog, 408 for timeout, 403 for
     * cors_origin. Their counters exist from the start at zero, so that an alert's {@code increase()} sees the first.
     */
    static final List<String> REFUSAL_REASONS = List.of("memory", "events", "disk", "backlog", "timeout", "cors_origin", "starting", "stopping");

    private final Limits limits;
    private final Supplier<Optional<QueueCapacity.Full>> queueFull;
    private final AtomicLong bytesInFlight = new AtomicLong();
    private final MeterRegistry meters;
    /**
     * Whether the intake's routes are up and the bridge is not stopping. Vert.x listens before Camel has started the
     * routes, and a path without a route is answered 404, which Segment's libraries do not retry: the events would be
     * lost at the sender. So until the routes are up, as once the stop begins, requests are refused with 503.
     */
    private volatile Phase phase = Phase.STARTING;

    private enum Phase {
        STARTING, ADMITTING, STOPPING
    }
    private Vertx vertx;

    public IntakeAdmission(Limits limits, Supplier<Optional<QueueCapacity.Full>> queueFull, MeterRegistry meters) {
        this.limits = limits;
        this.queueFull = queueFull;
        this.meters = meters;
        Gauge.builder("bridge.intake.in.flight.bytes", bytesInFlight, AtomicLong::get)
                .description("Body bytes of admitted intake requests not yet answered").register(meters);
        Gauge.builder("bridge.intake.in.flight.bytes.limit", limits, Limits::maxBytes)
                .description("The memory budget for intake bodies in flight (bridge.intake.max-in-flight-bytes)").register(meters);
        REFUSAL_REASONS.forEach(reason -> refusals(meters, reason));
    }

    public Limits limits() {
        return limits;
    }

    /**
     * The bridge is stopping: every request from now on is answered 503 with {@code Retry-After}, so that its sender
     * sends it again to this bridge once restarted, or to another one; the requests admitted before are still stored
     * and answered.
     */
    public void stopAdmitting() {
        phase = Phase.STOPPING;
    }

    /** Why requests are refused whatever their content: the bridge is {@code starting} or {@code stopping}. */
    public Optional<String> refusingAll() {
        Phase now = phase;
        return now == Phase.ADMITTING ? Optional.empty() : Optional.of(now.name().toLowerCase(java.util.Locale.ROOT));
    }

    /** Every route of the bridge has started: requests are admitted from now on (unless it is already stopping). */
    public void startAdmitting() {
        if (phase == Phase.STARTING) {
            phase = Phase.ADMITTING;
        }
    }

    /**
     * Puts this handler in front of every route of the bridge's HTTP server (not the management server), after the
     * tracking API's CORS handler so that even a refusal carries the headers a browser needs to read it.
     */
    void installOn(VertxPlatformHttpRouter router, TrackingCors cors) {
        vertx = router.vertx();
        router.route(TRACKING_API + "*").order(Integer.MIN_VALUE).handler(cors);
        router.route().order(Integer.MIN_VALUE + 1).handler(this).failureHandler(this::abandoned);
        LOG.info("Intake admits {} body bytes and {} events in flight; a body must arrive within {} s",
                limits.maxBytes(), limits.maxEvents(), limits.bodyTimeout().toSeconds());
    }

    @Override
    public void handle(RoutingContext routing) {
        HttpServerRequest request = routing.request();
        String credential = credentialInQuery(request);
        if (credential != null) {
            drain(request);
            answer(routing.response(), 400, "the query parameter '" + credential + "' is refused: credentials go in the "
                    + credential + " header, never in a URL (URLs end up in logs and proxies)");
            return;
        }
        String path = request.path();
        long largestBody = path == null ? 0 : path.startsWith(TRACKING_API) ? limits.largestTrackingBody()
                : path.startsWith(WEBHOOKS) ? limits.largestWebhookBody() : 0;
        if (largestBody == 0) {
            routing.next();
            return;
        }
        Phase now = phase;
        if (now != Phase.ADMITTING) {
            if (now == Phase.STARTING) {
                refuse(routing, "starting", STARTING_RETRY_AFTER_SECONDS, "the bridge is starting; nothing was kept, retry later");
            } else {
                refuse(routing, "stopping", STOPPING_RETRY_AFTER_SECONDS, "the bridge is stopping; nothing was kept, retry later");
            }
            return;
        }
        Optional<QueueCapacity.Full> full = queueFull.get();
        if (full.isPresent()) {
            refuse(routing, full.get().reason(), full.get().retryAfterSeconds(), full.get().message());
            return;
        }
        long declared = declaredLength(request);
        if (declared > largestBody) {
            // Refused before a byte of it is held, whatever the load: it could never be taken.
            refuseTooLarge(routing, declared, largestBody, path.startsWith(TRACKING_API)
                    ? "bridge.intake.max-batch-bytes" : "bridge.webhook.max-body-bytes");
            return;
        }
        long cost = declared >= 0 ? declared : largestBody;
        if (!reserve(bytesInFlight, cost, limits.maxBytes())) {
            refuse(routing, "memory", MEMORY_RETRY_AFTER_SECONDS, "the bridge is at its memory budget for requests in flight ("
                    + limits.maxBytes() + " bytes, setting bridge.intake.max-in-flight-bytes); nothing was kept, retry later");
            return;
        }
        long timer = vertx.setTimer(limits.bodyTimeout().toMillis(), fired -> {
            if (!request.isEnded() && !routing.response().ended()) {
                refused(meters, "timeout");
                answer(routing.response().putHeader(HttpHeaders.CONNECTION, "close"), 408,
                        "the request body did not arrive within " + limits.bodyTimeout().toSeconds()
                                + " s (setting bridge.intake.body-timeout); nothing was kept");
                request.connection().close();
            }
        });
        routing.addEndHandler(ended -> {
            vertx.cancelTimer(timer);
            bytesInFlight.addAndGet(-cost);
        });
        routing.next();
    }

    /**
     * A client that closes its connection before its body has arrived is not the bridge's failure: nothing was
     * stored and nothing can be answered, so it is counted, not logged as an ERROR with a stack trace (Vert.x' way
     * for a failure no handler takes). Every other failure goes on to the handlers after this one.
     */
    private void abandoned(RoutingContext routing) {
        if (routing.failure() instanceof HttpClosedException) {
            Counter.builder("bridge.intake.requests.abandoned")
                    .description("Requests whose sender closed the connection before the body had arrived; nothing was kept")
                    .register(meters).increment();
            return;
        }
        routing.next();
    }

    /**
     * Takes {@code cost} from a budget unless that would pass {@code limit}; a request larger than the whole budget
     * is admitted alone, so a small budget still takes the largest request the endpoints allow.
     */
    static boolean reserve(AtomicLong inFlight, long cost, long limit) {
        while (true) {
            long now = inFlight.get();
            if (now > 0 && now + cost > limit) {
                return false;
            }
            if (inFlight.compareAndSet(now, now + cost)) {
                return true;
            }
        }
    }

    /**
     * Camel hands query parameters to a route as message headers, so {@code ?Authorization=...} would authenticate
     * like the header does. The name of such a parameter, or null.
     */
    private static String credentialInQuery(HttpServerRequest request) {
        if (request.query() == null) {
            return null;
        }
        for (String name : request.params().names()) {
            for (String credential : CREDENTIAL_HEADERS) {
                if (credential.equalsIgnoreCase(name)) {
                    return credential;
                }
            }
        }
        return null;
    }

    /** The body's declared length; -1 when it is sent without one (chunked) or declares nonsense. */
    private static long declaredLength(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (header != null) {
            try {
                return Math.max(-1, Long.parseLong(header.trim()));
            } catch (NumberFormatException ignored) {
                // Vert.x refuses a malformed Content-Length itself
            }
        }
        return -1;
    }

    private void refuseTooLarge(RoutingContext routing, long declared, long largestBody, String setting) {
        drain(routing.request());
        answer(routing.response(), 413, "the request body is " + declared + " bytes; the limit is " + largestBody
                + " bytes (setting " + setting + ")");
    }

    /** Answers at once and reads the rest of the body into nothing, so the sender sees the answer and no memory is held. */
    private void refuse(RoutingContext routing, String reason, int retryAfterSeconds, String message) {
        refused(meters, reason);
        drain(routing.request());
        answer(routing.response().putHeader("Retry-After", Integer.toString(retryAfterSeconds)), 503, message);
    }

    static void drain(HttpServerRequest request) {
        if (!request.isEnded()) {
            request.handler(ignored -> { });
            request.resume();
        }
    }

    static void refused(MeterRegistry meters, String reason) {
        refusals(meters, reason).increment();
    }

    private static Counter refusals(MeterRegistry meters, String reason) {
        return Counter.builder("bridge.intake.requests.refused")
                .description("Requests refused before their body was buffered, by reason: 503 for memory, events, disk or backlog or a bridge starting or stopping, 408 for a slow body, 403 for a browser origin not allowed")
                .tag("reason", reason).register(meters);
    }

    static void answer(HttpServerResponse response, int status, String error) {
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("success", false).put("error", error).encode());
    }
}
