package org.segmentbridge.emarsys;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** OAuth 2.0 client credentials: a bearer token fetched from the token URL and reused until shortly before it expires. */
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
    private final HttpClient http;
    private final Clock clock;
    private final Duration requestTimeout;

    private volatile Token token;

    OAuth2Auth(URI tokenUrl, String clientId, String clientSecret, HttpClient http, Clock clock, Duration requestTimeout) {
        this.tokenUrl = tokenUrl;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.http = http;
        this.clock = clock;
        this.requestTimeout = requestTimeout;
    }

    @Override
    public Map<String, String> headers() {
        return Map.of(HEADER, "Bearer " + validToken().value());
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

    private Token validToken() {
        Token current = token;
        if (current != null && current.usableAt(clock.instant())) {
            return current;
        }
        // Callers that find no valid token wait for the one that fetches it instead of each asking the token URL.
        synchronized (this) {
            current = token;
            if (current == null || !current.usableAt(clock.instant())) {
                current = fetchToken();
                token = current;
            }
            return current;
        }
    }

    private Token fetchToken() {
        // Measured from before the request: the token's lifetime started no later than its answer.
        Instant requestedAt = clock.instant();
        HttpRequest request = HttpRequest.newBuilder(tokenUrl)
                .timeout(requestTimeout)
                .header("Authorization", "Basic " + basicCredentials())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("Emarsys token request to " + tokenUrl + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Emarsys token request to " + tokenUrl + " was interrupted", e);
        }
        if (response.statusCode() / 100 != 2) {
            throw failure(response, "was refused");
        }
        try {
            JsonNode answer = JSON.readTree(response.body());
            JsonNode accessToken = answer.path("access_token");
            JsonNode expiresIn = answer.path("expires_in");
            if (accessToken.isTextual() && !accessToken.asText().isBlank() && expiresIn.canConvertToLong()) {
                return new Token(accessToken.asText(), requestedAt.plusSeconds(expiresIn.asLong()));
            }
        } catch (IOException | RuntimeException ignored) {
            // reported below with the status and body
        }
        throw failure(response, "answered without a readable access_token and expires_in");
    }

    private IllegalStateException failure(HttpResponse<String> response, String what) {
        // A token endpoint could echo the request back; the secret must not reach a log line through it. Masked
        // before shortening, so a cut cannot leave part of it.
        String body = response.body() == null ? "" : response.body()
                .replace(basicCredentials(), "***").replace(clientSecret, "***");
        if (body.length() > MAX_BODY_IN_MESSAGE) {
            body = body.substring(0, MAX_BODY_IN_MESSAGE) + "...";
        }
        return new IllegalStateException("Emarsys token request to " + tokenUrl + " " + what
                + ": HTTP " + response.statusCode() + " " + body);
    }

    private String basicCredentials() {
        return Base64.getEncoder().encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
    }

    /** Never the secret or a token: this object may end up in a log line. */
    @Override
    public String toString() {
        return credentialId();
    }

    private record Token(String value, Instant expiresAt) {

        boolean usableAt(Instant now) {
            return now.isBefore(expiresAt.minus(REFRESH_MARGIN));
        }

        @Override
        public String toString() {
            return "Token[expiresAt=" + expiresAt + "]";
        }
    }
}
