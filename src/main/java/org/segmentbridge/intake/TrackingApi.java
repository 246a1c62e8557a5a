package org.segmentbridge.intake;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.BridgeSettings;
import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * The Segment HTTP Tracking API ({@code /v1/*}): single calls, {@code batch} and its alias {@code import}, and the
 * one-letter paths analytics.js posts to, with Segment's authentication, limits, batch merging of {@code context}
 * and {@code integrations}, and {@code context.ip} filled from the sender's address as Segment does.
 */
final class TrackingApi {

    static final String ENDPOINT = "tracking-api";
    private static final Set<String> BATCH_CALLS = Set.of("batch", "import");
    /**
     * analytics.js (analytics-next) posts to the first letter of the call ({@code /v1/t} for a track, {@code /v1/b}
     * for its batching dispatcher).
     */
    private static final Map<String, String> SHORT_PATHS = Map.of("i", "identify", "t", "track", "p", "page", "s", "screen",
            "g", "group", "a", "alias", "b", "batch");

    private final WriteKeys writeKeys;
    private final Intake intake;
    private final int maxEventBytes;
    private final int maxBatchBytes;
    private final int maxBatchEvents;

    TrackingApi(BridgeSettings settings, Intake intake) {
        this.writeKeys = new WriteKeys(settings.writeKeys());
        this.intake = intake;
        this.maxEventBytes = settings.maxEventBytes();
        this.maxBatchBytes = settings.maxBatchBytes();
        this.maxBatchEvents = settings.maxBatchEvents();
    }

    boolean enabled() {
        return writeKeys.enabled();
    }

    /** @param senderAddress the sending device's address for {@code context.ip}, or null when unknown */
    CompletableFuture<Intake.Outcome> receive(String path, String authorization, byte[] body, String senderAddress) {
        String call = SHORT_PATHS.getOrDefault(path, path);
        boolean batch = BATCH_CALLS.contains(call);
        if (!batch && !SpecValidator.SPEC_TYPES.contains(call)) {
            throw new IntakeRejected(Reason.NOT_FOUND, "unknown endpoint /v1/" + path
                    + "; use identify, track, page, screen, group, alias, batch or import (or i, t, p, s, g, a, b)");
        }
        if (authorization != null) {
            writeKeys.authenticate(authorization, null);
        }
        if (batch && body.length > maxBatchBytes) {
            throw new IntakeRejected(Reason.TOO_LARGE, "the batch request is " + body.length
                    + " bytes; the limit is " + maxBatchBytes + " bytes");
        }
        if (!batch) {
            EventBodies.checkEventSize(body.length, maxEventBytes, "the event");
        }
        ObjectNode root = EventBodies.requireObject(EventBodies.parse(body), "");
        JsonNode bodyWriteKey = root.remove("writeKey");
        if (authorization == null) {
            writeKeys.authenticate(null, bodyWriteKey == null || !bodyWriteKey.isTextual() ? null : bodyWriteKey.asText());
        }
        Instant now = Instant.now();
        List<ObjectNode> events = batch ? batchEvents(root, EventBodies.batchElementSizes(body), now) : List.of(singleEvent(call, root, now));
        if (senderAddress != null) {
            events.forEach(event -> fillSenderAddress(event, senderAddress));
        }
        return intake.store(events, ENDPOINT, now);
    }

    private ObjectNode singleEvent(String call, ObjectNode event, Instant now) {
        JsonNode type = event.get("type");
        if (type == null || type.isNull()) {
            event.put("type", call);
        } else if (!call.equals(type.asText())) {
            throw new IntakeRejected(Reason.INVALID, "type", "type '" + type.asText() + "' does not match the endpoint /v1/" + call);
        }
        // Segment stamps receivedAt on arrival, whatever the client sent.
        event.put("receivedAt", SpecValidator.stamp(now));
        SpecValidator.validateAndComplete(event, "", SpecValidator.SPEC_TYPES, now);
        intake.requireStorable(event, "");
        return event;
    }

    /** @param sizes each event's size in the body as sent */
    private List<ObjectNode> batchEvents(ObjectNode root, int[] sizes, Instant now) {
        JsonNode items = root.get("batch");
        if (!(items instanceof ArrayNode array)) {
            throw new IntakeRejected(Reason.INVALID, "batch", items == null
                    ? "batch is required: an array of events"
                    : "batch must be an array of events, got " + SpecValidator.kind(items));
        }
        if (array.isEmpty()) {
            throw new IntakeRejected(Reason.INVALID, "batch", "batch is empty; send at least one event");
        }
        if (array.size() > maxBatchEvents) {
            throw new IntakeRejected(Reason.TOO_LARGE, "batch", "batch holds " + array.size()
                    + " events; the limit is " + maxBatchEvents);
        }
        ObjectNode sharedContext = sharedObject(root, "context");
        ObjectNode sharedIntegrations = sharedObject(root, "integrations");
        List<ObjectNode> events = new ArrayList<>(array.size());
        for (int index = 0; index < array.size(); index++) {
            String path = "batch[" + index + "]";
            try {
                ObjectNode event = EventBodies.requireObject(array.get(index), path);
                EventBodies.checkEventSize(sizes[index], maxEventBytes, path);
                event.remove("writeKey");
                mergeShared(event, "context", sharedContext);
                mergeShared(event, "integrations", sharedIntegrations);
                event.put("receivedAt", SpecValidator.stamp(now));
                SpecValidator.validateAndComplete(event, path + ".", SpecValidator.SPEC_TYPES, now);
                intake.requireStorable(event, path + ".");
                events.add(event);
            } catch (IntakeRejected rejected) {
                throw rejected.atIndex(index);
            }
        }
        return events;
    }

    /** Segment sets {@code context.ip} from the request when the event has none; a value sent is kept. */
    private static void fillSenderAddress(ObjectNode event, String senderAddress) {
        JsonNode context = event.get("context");
        if (context instanceof ObjectNode object) {
            JsonNode ip = object.get("ip");
            if (ip == null || ip.isNull()) {
                object.put("ip", senderAddress);
            }
        } else if (context == null || context.isNull()) {
            event.putObject("context").put("ip", senderAddress);
        }
    }

    private static ObjectNode sharedObject(ObjectNode root, String field) {
        JsonNode shared = root.get(field);
        if (shared == null || shared.isNull()) {
            return null;
        }
        return EventBodies.requireObject(shared, field);
    }

    private static void mergeShared(ObjectNode event, String field, ObjectNode shared) {
        if (shared == null) {
            return;
        }
        JsonNode own = event.get(field);
        if (own == null || own.isNull()) {
            event.set(field, shared.deepCopy());
        } else if (own instanceof ObjectNode ownObject) {
            EventBodies.mergeMissing(ownObject, shared);
        }
    }
}
