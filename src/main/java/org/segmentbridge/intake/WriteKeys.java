package org.segmentbridge.intake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;

import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Authenticates Segment HTTP Tracking API calls the way Segment does: HTTP Basic with the write key as username and
 * an empty password, or {@code writeKey} in the body. Keys are compared in constant time and never echoed.
 */
final class WriteKeys {

    private final List<byte[]> accepted;

    WriteKeys(List<String> keys) {
        this.accepted = keys.stream().map(key -> key.getBytes(StandardCharsets.UTF_8)).toList();
    }

    boolean enabled() {
        return !accepted.isEmpty();
    }

    /**
     * @param authorization the Authorization header, or null
     * @param bodyWriteKey  the body's {@code writeKey}, or null
     */
    void authenticate(String authorization, String bodyWriteKey) {
        if (!enabled()) {
            throw new IntakeRejected(Reason.UNAUTHORIZED,
                    "the Segment HTTP API endpoints are disabled: no write keys are configured (set BRIDGE_WRITE_KEYS)");
        }
        String presented = basicUsername(authorization);
        if (presented == null) {
            presented = bodyWriteKey;
        }
        if (presented == null || presented.isEmpty()) {
            throw new IntakeRejected(Reason.UNAUTHORIZED,
                    "missing write key: send HTTP Basic auth with the write key as username, or writeKey in the body");
        }
        if (!matches(presented.getBytes(StandardCharsets.UTF_8))) {
            throw new IntakeRejected(Reason.UNAUTHORIZED, "invalid write key");
        }
    }

    private boolean matches(byte[] presented) {
        boolean found = false;
        for (byte[] key : accepted) {
            found |= MessageDigest.isEqual(key, presented);
        }
        return found;
    }

    private static String basicUsername(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IntakeRejected(Reason.UNAUTHORIZED, "the Authorization header is not valid Basic credentials");
        }
        int colon = decoded.indexOf(':');
        return colon < 0 ? decoded : decoded.substring(0, colon);
    }
}
