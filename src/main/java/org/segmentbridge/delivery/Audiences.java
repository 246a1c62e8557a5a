package org.segmentbridge.delivery;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Segment Engage audiences as they reach a destination: an identify with {@code traits.<audience key>: true|false},
 * or a track {@code Audience Entered} / {@code Audience Exited}; the key is {@code context.personas.computation_key}
 * (or the track's {@code properties.audience_key}).
 */
public final class Audiences {

    private Audiences() {
    }

    /** The audience's key, or "" when the event names none. */
    public static String key(JsonNode event) {
        return event.path("context").path("personas").path("computation_key").asText(
                event.path("properties").path("audience_key").asText(""));
    }

    /** True on entry, false on exit, null when the event says neither. */
    public static Boolean membership(JsonNode event) {
        if ("identify".equals(event.path("type").asText())) {
            JsonNode member = event.path("traits").path(key(event));
            return member.isBoolean() ? member.asBoolean() : null;
        }
        return switch (event.path("event").asText()) {
            case "Audience Entered" -> true;
            case "Audience Exited" -> false;
            default -> null;
        };
    }
}
