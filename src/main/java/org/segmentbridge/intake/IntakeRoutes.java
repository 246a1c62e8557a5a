package org.segmentbridge.intake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.net.SocketAddress;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConstants;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.model.RouteDefinition;
import org.segmentbridge.BridgeSettings;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.observe.LogContext;
import org.segmentbridge.intake.IntakeRejected.Reason;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.SuppressionStore;
import org.segmentbridge.queue.IntakeLog;
import org.segmentbridge.queue.QueueCapacity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP intake endpoints. They are the fixed contract with Segment and the vendors, so they live in Java rather
 * than in the user-editable {@code routes/} folder. Each request is answered only after its events are durable. The
 * vendors' own endpoints (postbacks, system webhooks) live in their packages and are served here ({@link VendorIntake}).
 */
public class IntakeRoutes extends RouteBuilder implements VendorIntake {

    private static final Logger LOG = LoggerFactory.getLogger(IntakeRoutes.class);
    /** A failed store is retried by the store itself (a reopened database, a restarted queue) within seconds. */
    private static final int STORE_RETRY_AFTER_SECONDS = 5;
    private static final String TRACKING_API_PATH = "/v1/{call}";
    private static final String SEGMENT_WEBHOOK_PATH = "/webhooks/segment";

    private final BridgeSettings settings;
    private final IntakeLog log;
    private final IdentityStore identity;
    private final SuppressionStore suppressions;
    private final IntakeAdmission.Limits limits;
    private final QueueCapacity capacity;
    private final Consumer<VendorIntake> vendorEndpoints;
    /** Each vendor endpoint that refuses every request, and why. */
    private final Map<String, String> vendorEndpointsDisabled = new LinkedHashMap<>();

    private TrackingApi trackingApi;
    private SegmentWebhook segmentWebhook;
    private Intake intake;
    private volatile IntakeAdmission admission;
    private volatile TrackingCors cors;

    /** @param vendorEndpoints adds the vendors' endpoints, through {@link #serve} */
    public IntakeRoutes(BridgeSettings settings, IntakeLog log, IdentityStore identity, SuppressionStore suppressions,
                        IntakeAdmission.Limits limits, QueueCapacity capacity, Consumer<VendorIntake> vendorEndpoints) {
        this.settings = settings;
        this.log = log;
        this.identity = identity;
        this.suppressions = suppressions;
        this.limits = limits;
        this.capacity = capacity;
        this.vendorEndpoints = vendorEndpoints;
    }

    /**
     * Puts the intake's gate (admission, and the tracking API's CORS) in front of every route of the bridge's HTTP
     * server; called by {@link GatedHttpServerFactory} before the server listens, once these routes are configured.
     */
    public void installGate(VertxPlatformHttpRouter router) {
        if (admission == null) {
            throw new IllegalStateException("the intake's routes are not configured yet; its gate cannot be installed");
        }
        admission.installOn(router, cors);
    }

    /** Where operator requests (an erasure, a consent change) enter like any other event; set once configured. */
    public Intake intake() {
        return intake;
    }

    /** Also the door for reports from another origin than a vendor (an operator); usable once configured. */
    @Override
    public VendorReports reports(String vendor, String receivedVia) {
        return new VendorReports(new VendorFeedback(vendor, receivedVia, settings, intake), suppressions);
    }

    @Override
    public void serve(String path, String receivedVia, Body body, Optional<String> disabledBecause, Receiver receiver) {
        if (!path.startsWith(IntakeAdmission.WEBHOOKS)) {
            throw new IllegalArgumentException("a vendor endpoint is served under " + IntakeAdmission.WEBHOOKS + ", not at " + path);
        }
        disabledBecause.ifPresent(why -> vendorEndpointsDisabled.put(path, why));
        Accepts accepts = body == Body.FORM ? Accepts.FORM : Accepts.JSON_ONLY;
        // A platform's receiver may read the state database (its consent changes): a worker runs it.
        fromIntake(path, AsyncRouteHttpEngine.FirstSteps.ON_A_WORKER)
                .routeId("intake-" + receivedVia)
                .process(answering(receivedVia, accepts, exchange -> () -> receiver.receive(request(exchange))));
    }

    /**
     * An intake endpoint's route. Its processor ({@link #answering}) completes when the events are durable; the
     * engine runs it the asynchronous way, so no worker waits for the commit meanwhile, and however many requests
     * wait for one the workers stay free for the others and for health.
     */
    private RouteDefinition fromIntake(String path, AsyncRouteHttpEngine.FirstSteps firstSteps) {
        AsyncRouteHttpEngine engine = getCamelContext().getRegistry()
                .lookupByNameAndType(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, AsyncRouteHttpEngine.class);
        if (engine == null) {
            throw new IllegalStateException("the intake needs " + AsyncRouteHttpEngine.class.getSimpleName()
                    + " bound as " + PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME);
        }
        engine.runAsynchronously(path, firstSteps);
        // The body is read once, as bytes, straight from Vert.x's buffer: a stream cache would copy it twice more.
        return from("platform-http:" + path + "?httpMethodRestrict=POST").streamCache("false");
    }

    @Override
    public void configure() {
        MeterRegistry meters = getCamelContext().getRegistry().findSingleByType(MeterRegistry.class);
        if (meters == null) {
            throw new IllegalStateException("no Micrometer registry: camel.metrics.enabled must be true");
        }
        intake = new Intake(identity, log, new IntakeMetrics(meters), new EventBudget(limits.maxEvents(), meters));
        admission = new IntakeAdmission(limits, capacity::full, meters);
        SettingsReader reader = new SettingsReader(getCamelContext().getPropertiesComponent());
        cors = new TrackingCors(reader.list(TrackingCors.SETTING), meters);
        ClientAddress senders = new ClientAddress(reader.list(ClientAddress.SETTING));
        trackingApi = new TrackingApi(settings, intake);
        segmentWebhook = new SegmentWebhook(settings, intake);

        // Segment's endpoints only check, parse and queue a body before they wait for its commit; the loop may run
        // that for a small body unless the intake log's append may wait itself (Kafka's, for the broker).
        AsyncRouteHttpEngine.FirstSteps segmentsFirstSteps = log.appendNeverWaits()
                ? AsyncRouteHttpEngine.FirstSteps.ON_THE_EVENT_LOOP_WHEN_SMALL : AsyncRouteHttpEngine.FirstSteps.ON_A_WORKER;
        fromIntake(TRACKING_API_PATH, segmentsFirstSteps)
                .routeId("intake-tracking-api")
                .process(answering(TrackingApi.ENDPOINT, Accepts.JSON, exchange -> () -> trackingApi.receive(
                        exchange.getMessage().getHeader("call", String.class),
                        exchange.getMessage().getHeader("Authorization", String.class),
                        body(exchange, settings.maxBatchBytes(), "bridge.intake.max-batch-bytes"),
                        senders.of(exchange.getMessage().getHeader(VertxPlatformHttpConstants.REMOTE_ADDRESS, SocketAddress.class),
                                exchange.getMessage().getHeader("X-Forwarded-For", String.class)))));

        fromIntake(SEGMENT_WEBHOOK_PATH, segmentsFirstSteps)
                .routeId("intake-segment-webhook")
                .process(answering(SegmentWebhook.ENDPOINT, Accepts.JSON, exchange -> () -> segmentWebhook.receive(
                        exchange.getMessage().getHeader("X-Signature", String.class),
                        body(exchange, settings.maxWebhookBytes(), "bridge.webhook.max-body-bytes"))));

        vendorEndpoints.accept(this);
    }

    /** Not ready while the bridge is starting or stopping: every request is refused with 503 then. */
    public HealthCheck admissionHealth() {
        return new AbstractHealthCheck("bridge", "intake-admission") {
            @Override
            public boolean isLiveness() {
                return false;
            }

            @Override
            protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
                IntakeAdmission current = admission; // made when the routes are configured
                Optional<String> refusing = current == null ? Optional.of("starting") : current.refusingAll();
                if (refusing.isPresent()) {
                    builder.detail("refusing", refusing.get()).message("the bridge is " + refusing.get()
                            + ": the intake answers 503 with Retry-After").down();
                } else {
                    builder.up();
                }
            }
        };
    }

    /** Every route has started: requests are admitted from now on ({@link IntakeAdmission#startAdmitting}). */
    public void startAdmitting() {
        admission.startAdmitting();
    }

    /** The first step of the bridge's stop: new requests are answered 503 with Retry-After ({@link IntakeAdmission#stopAdmitting}). */
    public void stopAdmitting() {
        admission.stopAdmitting();
    }

    /** Which intake endpoints refuse every request for lack of a secret, as operator-facing sentences. */
    public Map<String, String> disabledEndpoints() {
        Map<String, String> disabled = new LinkedHashMap<>();
        if (!trackingApi.enabled()) {
            disabled.put("/v1/*", "BRIDGE_WRITE_KEYS is not set");
        }
        if (!segmentWebhook.enabled()) {
            disabled.put("/webhooks/segment", "SEGMENT_WEBHOOK_SECRET is not set");
        }
        disabled.putAll(vendorEndpointsDisabled);
        return disabled;
    }

    /** A request's events as the intake log takes them: the future completes once they are durable. */
    @FunctionalInterface
    private interface Receipt {
        CompletableFuture<Intake.Outcome> receive() throws Exception;
    }

    /**
     * The body an endpoint takes: Segment's endpoints JSON under any non-form type (analytics.js sends it as
     * text/plain), a vendor's JSON declared as application/json or a form ({@link VendorIntake.Body}).
     */
    private enum Accepts {
        JSON, JSON_ONLY, FORM
    }

    /**
     * The processor of an intake endpoint's route; its counters exist from now on. It completes when the request's
     * events are durable, on the intake log's thread: the endpoints are served by {@link AsyncRouteHttpEngine} (see
     * {@link #fromIntake}), so no thread waits for the commit meanwhile.
     */
    private AsyncProcessor answering(String endpoint, Accepts accepts, Function<Exchange, Receipt> receipt) {
        intake.served(endpoint);
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                CompletableFuture<Intake.Outcome> stored;
                try (LogContext ignored = LogContext.with(LogContext.ENDPOINT, endpoint)) {
                    stored = receive(accepts, exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class), receipt.apply(exchange));
                    if (stored.isDone()) {
                        answer(exchange, endpoint, stored);
                        callback.done(true);
                        return true;
                    }
                }
                stored.whenComplete((outcome, failure) -> {
                    try (LogContext ignored = LogContext.with(LogContext.ENDPOINT, endpoint)) {
                        answer(exchange, endpoint, stored);
                    } finally {
                        callback.done(false);
                    }
                });
                return false;
            }
        };
    }

    /** What is refused before anything is stored fails the future it returns. */
    private static CompletableFuture<Intake.Outcome> receive(Accepts accepts, String contentType, Receipt receipt) {
        try {
            if (accepts == Accepts.JSON && isForm(contentType)) {
                throw new IntakeRejected(Reason.UNSUPPORTED_MEDIA_TYPE,
                        "Content-Type " + contentType + " is not accepted; send the events as JSON (application/json)");
            }
            if (accepts == Accepts.JSON_ONLY && !isJson(contentType)) {
                throw new IntakeRejected(Reason.UNSUPPORTED_MEDIA_TYPE,
                        "Content-Type " + contentType + " is not accepted; send the webhook as JSON (application/json)");
            }
            if (accepts == Accepts.FORM && !isUrlEncodedForm(contentType)) {
                throw new IntakeRejected(Reason.UNSUPPORTED_MEDIA_TYPE, "Content-Type " + contentType
                        + " is not accepted; post the parameters form-encoded (application/x-www-form-urlencoded)");
            }
            return receipt.receive();
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sets the answer to a request whose events are stored, or were refused or could not be stored. */
    private void answer(Exchange exchange, String endpoint, CompletableFuture<Intake.Outcome> stored) {
        Message message = exchange.getMessage();
        int status;
        int retryAfter = STORE_RETRY_AFTER_SECONDS;
        Map<String, Object> reply = new LinkedHashMap<>();
        try {
            stored.join();
            status = 200;
            reply.put("success", true);
        } catch (CompletionException completion) {
            Throwable failure = completion.getCause();
            if (failure instanceof IntakeOverloaded overloaded) {
                status = 503;
                retryAfter = overloaded.retryAfterSeconds();
                reply.put("success", false);
                reply.put("error", overloaded.getMessage());
            } else if (failure instanceof IntakeRejected rejected) {
                intake.rejected(endpoint, rejected);
                status = rejected.status();
                reply.put("success", false);
                reply.put("error", rejected.getMessage());
                if (rejected.field() != null) {
                    reply.put("field", rejected.field());
                }
                if (rejected.index() != null) {
                    reply.put("index", rejected.index());
                }
            } else {
                LOG.error("Could not store events received on {}", endpoint, failure);
                intake.storeFailed(endpoint);
                status = 503;
                reply.put("success", false);
                reply.put("error", "the events could not be stored (" + failure.getClass().getSimpleName() + "); nothing was kept, retry later");
            }
        }
        // Request headers (Authorization, X-Signature, ...) would otherwise be echoed back as response headers.
        message.removeHeaders("*");
        if (status == 503) {
            // Segment's libraries and its Webhooks destination retry a 5xx; this says when it is worth it.
            message.setHeader("Retry-After", retryAfter);
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        // Bytes, which AsyncRouteHttpEngine writes with a Content-Length in one go.
        message.setBody(status == 200 ? SUCCESS : EventBodies.JSON.valueToTree(reply).toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Every accepted request's answer, as Segment's API gives it. */
    private static final byte[] SUCCESS = "{\"success\":true}".getBytes(StandardCharsets.UTF_8);

    /** The body as sent, decoded when it was compressed; {@code limit} bounds the decoded size. */
    private static byte[] body(Exchange exchange, long limit, String limitSetting) {
        byte[] body = exchange.getMessage().getBody(byte[].class);
        return BodyEncoding.decode(exchange.getMessage().getHeader("Content-Encoding", String.class),
                body == null ? new byte[0] : body, limit, limitSetting);
    }

    private Request request(Exchange exchange) {
        return new Request() {
            @Override
            public String header(String name) {
                return exchange.getMessage().getHeader(name, String.class);
            }

            @Override
            public com.fasterxml.jackson.databind.JsonNode json() {
                return EventBodies.parse(body(exchange, settings.maxWebhookBytes(), "bridge.webhook.max-body-bytes"));
            }

            @Override
            public Map<String, List<String>> form() {
                return formParams(exchange);
            }
        };
    }

    /**
     * The posted form parameters. Vert.x parses a form body itself and hands it over as a map (and as headers, mixed
     * with the HTTP headers, which is why the map is read); a parameter posted more than once arrives as a list.
     */
    private static Map<String, List<String>> formParams(Exchange exchange) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (exchange.getMessage().getBody() instanceof Map<?, ?> form) {
            form.forEach((name, value) -> {
                List<String> values = params.computeIfAbsent(String.valueOf(name), any -> new ArrayList<>());
                if (value instanceof Collection<?> several) {
                    several.forEach(each -> values.add(String.valueOf(each)));
                } else if (value != null) {
                    values.add(String.valueOf(value));
                }
            });
        }
        return params;
    }

    // Media types are case-insensitive (RFC 9110), and Vert.x decodes a form whatever the case it is named in.

    private static boolean isForm(String contentType) {
        return isUrlEncodedForm(contentType) || hasMediaType(contentType, "multipart/form-data");
    }

    private static boolean isJson(String contentType) {
        return hasMediaType(contentType, "application/json");
    }

    private static boolean isUrlEncodedForm(String contentType) {
        return hasMediaType(contentType, "application/x-www-form-urlencoded");
    }

    private static boolean hasMediaType(String contentType, String mediaType) {
        return contentType != null && contentType.regionMatches(true, 0, mediaType, 0, mediaType.length());
    }
}
