package org.segmentbridge.sailthru;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;

/**
 * Sailthru's transport: every call carries {@code api_key}, {@code format=json}, {@code json=<payload>} and
 * {@code sig = md5_hex(secret + sorted values of every other parameter)}, in a form body for POST and in the query
 * string for GET and DELETE.
 */
final class SailthruRequests {

    private SailthruRequests() {
    }

    /**
     * An unsigned request carrying {@code payloadJson} (an item's text, or a tree's {@code toString()}): signing adds
     * api_key and sig (once per attempt, in {@link #sign}).
     */
    static OutboundRequest build(String method, String endpoint, String payloadJson, DestinationSettings settings) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("format", "json");
        params.put("json", payloadJson);
        return carry(method, settings.baseUrl() + endpoint, params);
    }

    /**
     * The request with {@code api_key} first and {@code sig} last around its own encoded parameters, which are decoded
     * only to be signed: the payload is not encoded a second time.
     */
    static OutboundRequest sign(OutboundRequest request, String apiKey, String secret) {
        String unsigned = form(request);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("api_key", apiKey);
        params.putAll(decoded(unsigned));
        String signed = encoded("api_key", apiKey) + (unsigned.isEmpty() ? "" : "&" + unsigned)
                + "&" + encoded("sig", signature(secret, params));
        if ("POST".equals(request.method())) {
            return new OutboundRequest(request.method(), request.uri(), request.headers(), signed.getBytes(StandardCharsets.UTF_8));
        }
        String base = request.uri().toString();
        int query = base.indexOf('?');
        return request.withUri(URI.create((query < 0 ? base : base.substring(0, query)) + "?" + signed));
    }

    /** md5 hex of the secret followed by the values of all parameters, sorted as strings. */
    static String signature(String secret, Map<String, String> params) {
        return SailthruSignature.sign(secret, List.copyOf(params.values()));
    }

    /** The parameters a request carries, from its form body or query string. */
    static Map<String, String> params(OutboundRequest request) {
        return decoded(form(request));
    }

    private static Map<String, String> decoded(String encoded) {
        Map<String, String> params = new LinkedHashMap<>();
        if (encoded.isEmpty()) {
            return params;
        }
        for (String pair : encoded.split("&")) {
            int equals = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    /** The request's parameters as encoded: its form body for POST, else its query string. */
    private static String form(OutboundRequest request) {
        String encoded = "POST".equals(request.method()) ? request.bodyText() : request.uri().getRawQuery();
        return encoded == null ? "" : encoded;
    }

    private static String encoded(String name, String value) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8) + '=' + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static OutboundRequest carry(String method, String url, Map<String, String> params) {
        StringBuilder form = new StringBuilder();
        params.forEach((name, value) -> form.append(form.length() == 0 ? "" : "&").append(encoded(name, value)));
        if ("POST".equals(method)) {
            return new OutboundRequest(method, URI.create(url), Map.of("Content-Type", "application/x-www-form-urlencoded"),
                    form.toString().getBytes(StandardCharsets.UTF_8));
        }
        return new OutboundRequest(method, URI.create(url + "?" + form), Map.of(), new byte[0]);
    }
}
