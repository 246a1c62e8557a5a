package org.segmentbridge.emarsys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Emarsys' WSSE UsernameToken: a digest of a one-time nonce, the time and the API secret, signed anew per attempt. */
public final class WsseAuth implements EmarsysAuth {

    static final String HEADER = "X-WSSE";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String user;
    private final String secret;
    private final Clock clock;
    private final Supplier<String> nonces;

    WsseAuth(String user, String secret, Clock clock) {
        this(user, secret, clock, WsseAuth::randomNonce);
    }

    /** Tests fix the nonce to check the header against a known digest. */
    WsseAuth(String user, String secret, Clock clock, Supplier<String> nonces) {
        this.user = user;
        this.secret = secret;
        this.clock = clock;
        this.nonces = nonces;
    }

    @Override
    public Map<String, String> headers() {
        String nonce = nonces.get();
        // Emarsys compares Created with its own clock to second precision; a fraction would not match its format.
        String created = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
        return Map.of(HEADER, "UsernameToken Username=\"" + user + "\", PasswordDigest=\""
                + passwordDigest(nonce, created, secret) + "\", Nonce=\"" + nonce + "\", Created=\"" + created + "\"");
    }

    @Override
    public String credentialId() {
        return "wsse:" + user;
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of(HEADER);
    }

    /**
     * Emarsys' digest is Base64 of the hexadecimal SHA-1 text, not of the raw 20 bytes as in the OASIS profile; the
     * raw-bytes variant is rejected with 401.
     */
    public static String passwordDigest(String nonce, String created, String secret) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((nonce + created + secret).getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(HexFormat.of().formatHex(sha1).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This Java runtime lacks SHA-1, which every Java runtime must provide", e);
        }
    }

    private static String randomNonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Never the secret: this object may end up in a log line. */
    @Override
    public String toString() {
        return credentialId();
    }
}
