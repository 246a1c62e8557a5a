package org.segmentbridge.emarsys;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.Lookups;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.VendorTransport;

/**
 * OAuth 2.0 client credentials: a bearer token fetched from the token URL and reused until shortly before it expires.
 * The token is fetched through the shared transport, paced by the client's limit; while it is under way, whoever
 * needs it gets an {@link AwaitingLookup} (one fetch, however many ask).
 */
final class OAuth2Auth implements EmarsysAuth {

    static final String HEADER = "Authorization";

    static final String DEFAULT_TOKEN_URL = "https://auth.emarsys.net/oauth2/token";

    /** A token is replaced this long before it expires, so a request is never sent with one that lapses in flight. */
    static final Duration REFRESH_MARGIN = Duration.ofSeconds(60);

    private static final int MAX_BODY_IN_MESSAGE = 300;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI tokenUrl;
    private final String clientId;
    private final String clientSecret;
    private final VendorTransport transport;
    private final Clock clock;
    private final DestinationSettings settings;
    private final Lookups fetches = new Lookups();

    private volatile Token token;

    /** @param settings the destination's: its timeouts and rate limit apply to the token calls too */
    OAuth2Auth(URI tokenUrl, String clientId, String clientSecret, VendorTransport transport, Clock clock, DestinationSettings settings) {
        this.tokenUrl = tokenUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.transport = transport;
        this.clock = clock;
        this.settings = settings;
    }

    @Override
    public Map<String, String> headers() {
        Token current = token;
        if (current != null && current.usableAt(clock.instant())) {
            return Map.of(HEADER, "Bearer " + current.value());
        }
        throw fetches.awaiting("an Emarsys OAuth2 token from " + tokenUrl, this::fetchToken);
    }

    @Override
    public String credentialId() {
        return "oauth2:" + clientId;
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of(HEADER);
    }

    URI tokenUrl() {
        return tokenUrl;
    }

    private CompletableFuture<Token> fetchToken() {
        Token current = token;
        if (current != null && current.usableAt(clock.instant())) {
            return CompletableFuture.completedFuture(current); // fetched by a call that ended a moment ago
        }
        if (transport == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("Emarsys token request to " + tokenUrl
                    + " cannot be made outside a running bridge"));
        }
        // Measured from before the request: the token's lifetime started no later than its answer.
        Instant requestedAt = clock.instant();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Basic " + basicCredentials());
        headers.put("Content-Type", "application/x-www-form-urlencoded");
        headers.put("Accept", "application/json");
        OutboundRequest request = new OutboundRequest("POST", tokenUrl, headers,
                "grant_type=client_credentials".getBytes(StandardCharsets.UTF_8));
        return transport.call("token", request, settings, credentialId()).handle((answer, failure) -> {
            if (failure != null) {
                RuntimeException cause = AwaitingLookup.failureOf(failure);
                throw new TemporaryFailure("Emarsys token request to " + tokenUrl + " failed: " + cause.getMessage(), cause);
            }
            Token fetched = tokenOf(answer, requestedAt);
            token = fetched;
            return fetched;
        });
    }

    private Token tokenOf(VendorAnswer answer, Instant requestedAt) {
        if (answer.isRetryable()) {
            throw new TemporaryFailure(failure(answer, "was refused").getMessage(), null);
        }
        if (!answer.isSuccess()) {
            throw failure(answer, "was refused");
        }
        try {
            JsonNode parsed = JSON.readTree(answer.body());
            JsonNode accessToken = parsed.path("access_token");
            JsonNode expiresIn = parsed.path("expires_in");
            if (accessToken.isTextual() && !accessToken.asText().isBlank() && expiresIn.canConvertToLong() && expiresIn.asLong() > 0) {
                return Token.lasting(accessToken.asText(), requestedAt, Duration.ofSeconds(expiresIn.asLong()));
            }
        } catch (IOException | RuntimeException ignored) {
            // reported below with the status and body
        }
        throw failure(answer, "answered without a readable access_token and expires_in");
    }

    private IllegalStateException failure(VendorAnswer answer, String what) {
        // A token endpoint could echo the request back; the secret must not reach a log line through it. Masked
        // before shortening, so a cut cannot leave part of it.
        String body = answer.bodyText().replace(basicCredentials(), "***").replace(clientSecret, "***");
        if (body.length() > MAX_BODY_IN_MESSAGE) {
            body = body.substring(0, MAX_BODY_IN_MESSAGE) + "...";
        }
        return new IllegalStateException("Emarsys token request to " + tokenUrl + " " + what
                + ": HTTP " + answer.status() + " " + body);
    }

    private String basicCredentials() {
        return Base64.getEncoder().encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
    }

    /** Never the secret or a token: this object may end up in a log line. */
    @Override
    public String toString() {
        return credentialId();
    }

    private record Token(String value, Instant replaceAt) {

        /**
         * Replaced {@link #REFRESH_MARGIN} before it expires, or halfway through a shorter life: a token must be
         * usable once fetched, or every request would fetch another.
         */
        static Token lasting(String value, Instant from, Duration lifetime) {
            Duration margin = lifetime.dividedBy(2).compareTo(REFRESH_MARGIN) < 0 ? lifetime.dividedBy(2) : REFRESH_MARGIN;
            return new Token(value, from.plus(lifetime).minus(margin));
        }

        boolean usableAt(Instant now) {
            return now.isBefore(replaceAt);
        }

        @Override
        public String toString() {
            return "Token[replaceAt=" + replaceAt + "]";
        }
    }
}
