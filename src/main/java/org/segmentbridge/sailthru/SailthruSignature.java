package org.segmentbridge.sailthru;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.segmentbridge.intake.IntakeRejected;
import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Verifies a Sailthru postback: {@code sig} is md5-hex of the API secret followed by the values of every other
 * posted parameter ({@code api_key} included), sorted as strings, and {@code api_key} is ours. Sailthru signs its own
 * API requests the same way.
 */
final class SailthruSignature {

    static final String SIGNATURE_PARAM = "sig";
    static final String API_KEY_PARAM = "api_key";

    private final Optional<String> apiKey;
    private final Optional<String> secret;

    SailthruSignature(Optional<String> apiKey, Optional<String> secret) {
        this.apiKey = apiKey;
        this.secret = secret;
    }

    /** Why postbacks are refused whole, as an operator-facing sentence; empty when they are verified. */
    Optional<String> disabledBecause() {
        if (secret.isEmpty()) {
            return Optional.of("SAILTHRU_API_SECRET is not set");
        }
        if (apiKey.isEmpty()) {
            return Optional.of("SAILTHRU_API_KEY is not set");
        }
        return Optional.empty();
    }

    void verify(Map<String, List<String>> params) {
        disabledBecause().ifPresent(why -> {
            throw new IntakeRejected(Reason.UNAUTHORIZED,
                    "the Sailthru postback endpoint is disabled: " + why + " (set it to the account's API credentials)");
        });
        String presented = single(params, SIGNATURE_PARAM);
        if (presented == null || presented.isBlank()) {
            throw new IntakeRejected(Reason.FORBIDDEN, SIGNATURE_PARAM, "the sig parameter is missing");
        }
        List<String> values = new ArrayList<>();
        params.forEach((name, posted) -> {
            if (!SIGNATURE_PARAM.equals(name)) {
                values.addAll(posted);
            }
        });
        byte[] expected = sign(secret.get(), values).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, presented.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            throw new IntakeRejected(Reason.FORBIDDEN, SIGNATURE_PARAM, "the sig parameter does not match the posted parameters");
        }
        // Checked after the signature, so that only Sailthru itself learns that a key is not ours.
        String postedKey = single(params, API_KEY_PARAM);
        if (postedKey == null || !MessageDigest.isEqual(apiKey.get().getBytes(StandardCharsets.UTF_8),
                postedKey.getBytes(StandardCharsets.UTF_8))) {
            throw new IntakeRejected(Reason.FORBIDDEN, API_KEY_PARAM, "the api_key parameter is not this bridge's Sailthru API key");
        }
    }

    static String sign(String secret, List<String> values) {
        List<String> sorted = new ArrayList<>(values);
        sorted.sort(null);
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            return HexFormat.of().formatHex(md5.digest((secret + String.join("", sorted)).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is not available in this JVM", e);
        }
    }

    private static String single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
