package org.segmentbridge.emarsys;

import java.net.URI;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.VendorTransport;

/** Authentication for one Emarsys API request attempt. */
public interface EmarsysAuth {

    /**
     * Headers to add to ONE request attempt; called again for every attempt (a WSSE header expires, a token may be
     * refreshed).
     *
     * @throws org.segmentbridge.delivery.AwaitingLookup while a token it needs is being fetched
     */
    Map<String, String> headers();

    /** Identifies the credential (for rate limiting per API user): "wsse:<user>" or "oauth2:<client id>". Never the secret. */
    String credentialId();

    /** Names of the headers whose values are secrets (masked when a request is printed). */
    Set<String> secretHeaders();

    /** Why nothing that calls Emarsys can run: the settings to set, OAuth2's first. */
    String NO_CREDENTIALS = "Emarsys has no credentials (EMARSYS_CLIENT_ID and EMARSYS_CLIENT_SECRET, or EMARSYS_API_USER and "
            + "EMARSYS_API_SECRET)";

    /** Emarsys' API for WSSE credentials: the v2 endpoints. */
    String WSSE_BASE_URL = "https://api.emarsys.net/api/v2";
    /**
     * Emarsys' API for OAuth2 (OpenID Connect) tokens: the same endpoints and payloads under v3, per Emarsys' developer
     * hub ("Authentication", and the changelog entry of 2024-11-08); WSSE is not accepted there.
     */
    String OAUTH2_BASE_URL = "https://api.emarsys.net/api/v3";

    /**
     * The auth the destination's settings ask for; empty when the credentials it needs are not set (the destination
     * then runs in dry-run). {@code auth} is {@code auto} (default: OAuth2 when a client id and secret are set, else
     * WSSE), {@code oauth2} (with {@code client-id}, {@code client-secret} and optionally {@code token-url}) or
     * {@code wsse} (with {@code api-user} and {@code api-secret}; Emarsys ends it at the end of 2026).
     *
     * @throws IllegalArgumentException naming the setting when {@code auth} is unknown or a credential is half set
     */
    static Optional<EmarsysAuth> from(DestinationSettings settings, VendorTransport transport, Clock clock) {
        return switch (kind(settings)) {
            case WSSE -> credentialPair(settings, "api-user", "api-secret")
                    .map(pair -> new WsseAuth(pair.getKey(), pair.getValue(), clock));
            case OAUTH2 -> {
                URI tokenUrl = tokenUrl(settings);
                yield credentialPair(settings, "client-id", "client-secret")
                        .map(pair -> new OAuth2Auth(tokenUrl, pair.getKey(), pair.getValue(), transport, clock, settings));
            }
        };
    }

    /** Which of Emarsys' two kinds of credentials the settings use. */
    enum Kind { WSSE, OAUTH2 }

    /**
     * The kind {@code auth} names; for {@code auto}, OAuth2 when a client id and secret are set (also when an API user
     * and secret are set too: OAuth2 outlives WSSE), else WSSE.
     */
    static Kind kind(DestinationSettings settings) {
        String auth = settings.value("auth").orElse("auto");
        return switch (auth.toLowerCase(Locale.ROOT)) {
            case "wsse" -> Kind.WSSE;
            case "oauth2" -> Kind.OAUTH2;
            case "auto" -> credentialPair(settings, "client-id", "client-secret").isPresent() ? Kind.OAUTH2 : Kind.WSSE;
            default -> throw new IllegalArgumentException("Setting " + key(settings, "auth") + " must be auto, oauth2 or wsse, got '"
                    + auth + "'");
        };
    }

    /** {@code base-url} when set; else Emarsys' API for the kind of credentials in use. */
    static URI baseUrl(DestinationSettings settings) {
        if (settings.value("base-url").isPresent()) {
            return settings.baseUrl();
        }
        return URI.create(kind(settings) == Kind.OAUTH2 ? OAUTH2_BASE_URL : WSSE_BASE_URL);
    }

    /** Both values, or empty when neither is set; one without the other is a mistake, not a wish for dry-run. */
    private static Optional<Map.Entry<String, String>> credentialPair(DestinationSettings settings, String idSuffix, String secretSuffix) {
        Optional<String> id = settings.value(idSuffix);
        Optional<String> secret = settings.value(secretSuffix);
        if (id.isEmpty() && secret.isEmpty()) {
            return Optional.empty();
        }
        if (id.isEmpty() || secret.isEmpty()) {
            String missing = id.isEmpty() ? idSuffix : secretSuffix;
            String present = id.isEmpty() ? secretSuffix : idSuffix;
            throw new IllegalArgumentException("Setting " + key(settings, missing) + " is missing or empty: it is needed together with "
                    + key(settings, present));
        }
        return Optional.of(Map.entry(id.get(), secret.get()));
    }

    private static URI tokenUrl(DestinationSettings settings) {
        String value = settings.value("token-url").orElse(OAuth2Auth.DEFAULT_TOKEN_URL);
        try {
            URI uri = URI.create(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return uri;
            }
        } catch (IllegalArgumentException ignored) {
            // reported below with the key
        }
        throw new IllegalArgumentException("Setting " + key(settings, "token-url") + " must be an absolute http(s) URL, got '" + value + "'");
    }

    private static String key(DestinationSettings settings, String suffix) {
        return "bridge.destination." + settings.name() + "." + suffix;
    }
}
