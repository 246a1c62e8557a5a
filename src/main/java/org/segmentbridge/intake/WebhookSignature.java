package org.segmentbridge.intake;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Verifies Segment's webhook {@code X-Signature}: hex HMAC-SHA1 of the body with the shared secret. For a batched
 * delivery (a JSON array) Segment signs only the first element, so the caller passes that element's raw bytes.
 */
final class WebhookSignature {

    private final Optional<byte[]> secret;

    WebhookSignature(Optional<String> secret) {
        this.secret = secret.map(value -> value.getBytes(StandardCharsets.UTF_8));
    }

    boolean enabled() {
        return secret.isPresent();
    }

    void requireEnabled() {
        if (secret.isEmpty()) {
            throw new IntakeRejected(Reason.UNAUTHORIZED,
                    "the Segment webhook endpoint is disabled: no shared secret is configured (set SEGMENT_WEBHOOK_SECRET)");
        }
    }

    void verify(String signatureHeader, byte[] signedBytes) {
        requireEnabled();
        if (signatureHeader == null || signatureHeader.isBlank()) {
            throw new IntakeRejected(Reason.UNAUTHORIZED, "the X-Signature header is missing");
        }
        byte[] expected = hmacSha1Hex(secret.get(), signedBytes).getBytes(StandardCharsets.US_ASCII);
        byte[] presented = signatureHeader.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, presented)) {
            throw new IntakeRejected(Reason.UNAUTHORIZED, "the X-Signature header does not match the body");
        }
    }

    static String hmacSha1Hex(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key, "HmacSHA1"));
            return HexFormat.of().formatHex(mac.doFinal(data));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA1 is not available in this JVM", e);
        }
    }
}
