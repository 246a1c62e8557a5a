package org.segmentbridge.intake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;

import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Authenticates a webhook sender that can present a static token and nothing stronger (Iterable's system webhooks
 * sign nothing): {@code Authorization: Bearer <token>}, or HTTP Basic with the token as password and any username.
 * Compared in constant time and never echoed.
 */
public final class WebhookToken {

    private final Optional<byte[]> token;
    private final String setting;
    private final String endpointName;

    /**
     * @param setting      the environment variable that sets the token, named when it is missing
     * @param endpointName the endpoint as an operator knows it, e.g. "the Iterable webhook endpoint"
     */
    public WebhookToken(Optional<String> token, String setting, String endpointName) {
        this.token = token.map(value -> value.getBytes(StandardCharsets.UTF_8));
        this.setting = setting;
        this.endpointName = endpointName;
    }

    /** Why every request is refused, as an operator-facing sentence; empty when a token is configured. */
    public Optional<String> disabledBecause() {
        return token.isPresent() ? Optional.empty() : Optional.of(setting + " is not set");
    }

    public void authenticate(String authorization) {
        disabledBecause().ifPresent(why -> {
            throw new IntakeRejected(Reason.UNAUTHORIZED, endpointName + " is disabled: " + why
                    + " (set it, and give the sender the same token)");
        });
        String presented = presentedToken(authorization);
        if (presented == null || presented.isEmpty()) {
            throw new IntakeRejected(Reason.UNAUTHORIZED,
                    "missing token: send Authorization: Bearer <token>, or HTTP Basic with the token as password");
        }
        if (!MessageDigest.isEqual(token.get(), presented.getBytes(StandardCharsets.UTF_8))) {
            throw new IntakeRejected(Reason.UNAUTHORIZED, "invalid token");
        }
    }

    private static String presentedToken(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.trim();
        if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return value.substring(7).trim();
        }
        if (!value.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(value.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IntakeRejected(Reason.UNAUTHORIZED, "the Authorization header is not valid Basic credentials");
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? null : decoded.substring(colon + 1);
    }
}
