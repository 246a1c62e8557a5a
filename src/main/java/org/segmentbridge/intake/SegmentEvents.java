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
        return from(root.isObject() && root.has("batch") ? root.get("batch") : root, now, Integer.MAX_VALUE, (event, path) -> {
        });
    }

    /** A check of one event beyond the Spec, e.g. that the identity store can keep its ids. */
    @FunctionalInterface
    interface Check {
        /** @param path how the body names the event, e.g. "" or "[3]." */
        void check(ObjectNode event, String path);
    }

    /**
     * One event or an array of events, as Segment's Webhooks destination sends them (deletion notices included),
     * each checked against the Spec, the size limit and {@code check}, and completed.
     */
    static List<ObjectNode> from(JsonNode items, Instant now, int maxEventBytes, Check check) {
        List<ObjectNode> events = new ArrayList<>();
        if (items instanceof ArrayNode array) {
            for (int index = 0; index < array.size(); index++) {
                try {
                    events.add(checked(array.get(index), "[" + index + "]", now, maxEventBytes, check));
                } catch (IntakeRejected rejected) {
                    throw rejected.atIndex(index);
                }
            }
        } else {
            events.add(checked(items, "", now, maxEventBytes, check));
        }
        return events;
    }

    private static ObjectNode checked(JsonNode item, String path, Instant now, int maxEventBytes, Check check) {
        ObjectNode event = EventBodies.requireObject(item, path);
        EventBodies.checkEventSize(EventBodies.serializedSize(event), maxEventBytes, path.isEmpty() ? "the event" : path);
        String prefix = path.isEmpty() ? "" : path + ".";
        SpecValidator.validateAndComplete(event, prefix, SpecValidator.WEBHOOK_TYPES, now);
        check.check(event, prefix);
        return event;
    }

    public static JsonNode parse(byte[] content) {
        return EventBodies.parse(content);
    }
}
