package org.segmentbridge.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** One HTTP request to a vendor, exactly as it will be sent. */
public record OutboundRequest(String method, URI uri, Map<String, String> headers, byte[] body) {

    public OutboundRequest {
        // Insertion order kept, so previews and dry-run records read the same every time.
        headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    public static OutboundRequest json(String method, URI uri, String json) {
        return new OutboundRequest(method, uri, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
    }

    public OutboundRequest withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new OutboundRequest(method, uri, more, body);
    }

    public OutboundRequest withUri(URI other) {
        return new OutboundRequest(method, other, headers, body);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The same request with the values of secret headers replaced, for dry-run records and logs. */
    public OutboundRequest masked(Set<String> secretHeaders) {
        Set<String> secret = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        secret.addAll(secretHeaders);
        Map<String, String> shown = new LinkedHashMap<>();
        headers.forEach((name, value) -> shown.put(name, secret.contains(name) ? "***" : value));
        return new OutboundRequest(method, uri, shown, body);
    }
}
