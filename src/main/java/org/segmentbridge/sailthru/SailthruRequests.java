package org.segmentbridge.sailthru;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
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

    /** An unsigned request: signing adds api_key and sig (once per attempt, in {@link #sign}). */
    static OutboundRequest build(String method, String endpoint, JsonNode payload, DestinationSettings settings) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("format", "json");
        params.put("json", payload.toString());
        return carry(method, settings.baseUrl() + endpoint, params);
    }

    static OutboundRequest sign(OutboundRequest request, String apiKey, String secret) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("api_key", apiKey);
        params.putAll(params(request));
        params.put("sig", signature(secret, params));
        String base = request.uri().toString();
        int query = base.indexOf('?');
        return carry(request.method(), query < 0 ? base : base.substring(0, query), params);
    }

    /** md5 hex of the secret followed by the values of all parameters, sorted as strings. */
    static String signature(String secret, Map<String, String> params) {
        return SailthruSignature.sign(secret, List.copyOf(params.values()));
    }

    /** The parameters a request carries, from its form body or query string. */
    static Map<String, String> params(OutboundRequest request) {
        String encoded = "POST".equals(request.method()) ? request.bodyText() : request.uri().getRawQuery();
        Map<String, String> params = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return params;
        }
        for (String pair : encoded.split("&")) {
            int equals = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    private static OutboundRequest carry(String method, String url, Map<String, String> params) {
        StringBuilder encoded = new StringBuilder();
        params.forEach((name, value) -> encoded.append(encoded.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        if ("POST".equals(method)) {
            return new OutboundRequest(method, URI.create(url), Map.of("Content-Type", "application/x-www-form-urlencoded"),
                    encoded.toString().getBytes(StandardCharsets.UTF_8));
        }
        return new OutboundRequest(method, URI.create(url + "?" + encoded), Map.of(), new byte[0]);
    }
}
