package org.segmentbridge.intake;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

/**
 * CORS for the tracking API alone ({@code /v1/*}), so analytics.js on a website's pages can post to the bridge. A
 * browser write key is public by nature, which is why Segment's own API allows every origin and so does the default
 * here; a list of origins restricts it. A request from an origin not on the list is refused with 403 before its
 * body is read: the browser would block the answer anyway, but a simple POST (analytics.js sends text/plain) would
 * otherwise be stored. Vert.x' own CORS handler speaks the protocol (preflight, Vary, requested headers).
 */
final class TrackingCors implements Handler<RoutingContext> {

    static final String SETTING = "bridge.intake.cors-allowed-origins";
    /** Chromium caches a preflight for at most 2 hours; an hour keeps a changed setting visible the same day. */
    static final int PREFLIGHT_MAX_AGE_SECONDS = 3600;

    private final List<String> allowedOrigins;
    private final CorsHandler protocol;
    private final MeterRegistry meters;

    /** @param allowedOrigins {@code *} for any, or origins such as {@code https://www.example.com} */
    TrackingCors(List<String> allowedOrigins, MeterRegistry meters) {
        this.meters = meters;
        boolean any = allowedOrigins.isEmpty() || allowedOrigins.contains("*");
        this.allowedOrigins = any ? List.of() : allowedOrigins.stream().map(TrackingCors::origin).toList();
        CorsHandler cors = any ? CorsHandler.create() : CorsHandler.create().addOrigins(this.allowedOrigins);
        this.protocol = cors.allowedMethod(HttpMethod.POST).maxAgeSeconds(PREFLIGHT_MAX_AGE_SECONDS);
    }

    @Override
    public void handle(RoutingContext routing) {
        String origin = routing.request().getHeader(HttpHeaders.ORIGIN);
        if (origin != null && !allows(origin)) {
            IntakeAdmission.refused(meters, "cors_origin");
            IntakeAdmission.drain(routing.request());
            IntakeAdmission.answer(routing.response(), 403, "origin " + origin + " may not send events here: it is not in "
                    + SETTING + " (BRIDGE_CORS_ALLOWED_ORIGINS)");
            return;
        }
        protocol.handle(routing);
    }

    private boolean allows(String origin) {
        return allowedOrigins.isEmpty() || allowedOrigins.contains(origin.toLowerCase(Locale.ROOT));
    }

    /** An origin as browsers send it: scheme, host and port only, lower case. */
    private static String origin(String value) {
        String problem = "Setting " + SETTING + ": '" + value + "' is not an origin; write it as scheme://host[:port], "
                + "e.g. https://www.example.com, or * for any";
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null || (uri.getPath() != null && !uri.getPath().isEmpty())
                    || uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                throw new IllegalArgumentException(problem);
            }
            return value.toLowerCase(Locale.ROOT);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(problem);
        }
    }
}
