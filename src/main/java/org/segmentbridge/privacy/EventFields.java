package org.segmentbridge.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** How consent and erasure read an event's ids and write their marks on it ({@code context.bridge}). */
final class EventFields {

    private EventFields() {
    }

    /** A top-level field's value, trimmed; null when absent, blank or not a value. */
    static String text(JsonNode event, String field) {
        JsonNode value = event.get(field);
        return value == null || !value.isValueNode() || value.asText().isBlank() ? null : value.asText().trim();
    }

    /** Where the bridge's own marks go. */
    static ObjectNode bridgeMarks(ObjectNode event) {
        return event.with("context").with("bridge");
    }
}
