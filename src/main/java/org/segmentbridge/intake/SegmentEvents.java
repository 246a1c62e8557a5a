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
        return from(root.isObject() && root.has("batch") ? root.get("batch") : root, now, Integer.MAX_VALUE);
    }

    /**
     * One event or an array of events, as Segment's Webhooks destination sends them (deletion notices included),
     * each checked against the Spec and the size limit and completed.
     */
    static List<ObjectNode> from(JsonNode items, Instant now, int maxEventBytes) {
        List<ObjectNode> events = new ArrayList<>();
        if (items instanceof ArrayNode array) {
            for (int index = 0; index < array.size(); index++) {
                try {
                    events.add(checked(array.get(index), "[" + index + "]", now, maxEventBytes));
                } catch (IntakeRejected rejected) {
                    throw rejected.atIndex(index);
                }
            }
        } else {
            events.add(checked(items, "", now, maxEventBytes));
        }
        return events;
    }

    private static ObjectNode checked(JsonNode item, String path, Instant now, int maxEventBytes) {
        ObjectNode event = EventBodies.requireObject(item, path);
        EventBodies.checkEventSize(EventBodies.serializedSize(event), maxEventBytes, path.isEmpty() ? "the event" : path);
        SpecValidator.validateAndComplete(event, path.isEmpty() ? "" : path + ".", SpecValidator.WEBHOOK_TYPES, now);
        return event;
    }

    public static JsonNode parse(byte[] content) {
        return EventBodies.parse(content);
    }
}
