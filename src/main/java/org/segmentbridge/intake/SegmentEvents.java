package org.segmentbridge.intake;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Segment events from a file, checked and completed exactly as the intake would: a JSON array of events, a
 * {@code {"batch":[...]}} body, or one event. Used by {@code try}.
 */
public final class SegmentEvents {

    private SegmentEvents() {
    }

    /** @throws IntakeRejected naming the event's position and field when one breaks the Segment Spec */
    public static List<ObjectNode> from(JsonNode root, Instant now) {
        JsonNode items = root.isObject() && root.has("batch") ? root.get("batch") : root;
        List<ObjectNode> events = new ArrayList<>();
        if (items instanceof ArrayNode array) {
            for (int index = 0; index < array.size(); index++) {
                String path = "[" + index + "]";
                try {
                    ObjectNode event = EventBodies.requireObject(array.get(index), path);
                    SpecValidator.validateAndComplete(event, path + ".", SpecValidator.WEBHOOK_TYPES, now);
                    events.add(event);
                } catch (IntakeRejected rejected) {
                    throw rejected.atIndex(index);
                }
            }
        } else {
            ObjectNode event = EventBodies.requireObject(items, "");
            SpecValidator.validateAndComplete(event, "", SpecValidator.WEBHOOK_TYPES, now);
            events.add(event);
        }
        return events;
    }

    public static JsonNode parse(byte[] content) {
        return EventBodies.parse(content);
    }
}
