package org.segmentbridge.support;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Requests signed the way their senders sign them, computed here apart from the bridge's own code. */
public final class Signed {

    private Signed() {
    }

    /** Segment's {@code X-Signature}: hex HMAC-SHA1 of the body with the webhook secret. */
    public static String segmentSignature(String body, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A Sailthru postback as a form body: the parameters, {@code api_key}, and {@code sig} = md5-hex of the secret
     * followed by every other value, sorted as strings.
     */
    public static String sailthruPostback(Map<String, String> params, String apiKey, String secret) {
        Map<String, String> signed = new TreeMap<>(params);
        signed.put("api_key", apiKey);
        List<String> values = new ArrayList<>(signed.values());
        Collections.sort(values);
        try {
            signed.put("sig", HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                    .digest((secret + String.join("", values)).getBytes(StandardCharsets.UTF_8))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder form = new StringBuilder();
        signed.forEach((name, value) -> form.append(form.length() == 0 ? "" : "&").append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return form.toString();
    }
}
