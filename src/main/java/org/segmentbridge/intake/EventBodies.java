package org.segmentbridge.intake;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.intake.IntakeRejected.Reason;

/** Parsing and measuring request bodies, with errors a client can act on. */
final class EventBodies {

    static final ObjectMapper JSON = new ObjectMapper();

    private EventBodies() {
    }

    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new IntakeRejected(Reason.INVALID, "the request body is empty; send a JSON event");
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            String detail = e instanceof com.fasterxml.jackson.core.JsonProcessingException processing
                    ? processing.getOriginalMessage() + " at " + processing.getLocation().offsetDescription()
                    : e.getMessage();
            throw new IntakeRejected(Reason.INVALID, "the request body is not valid JSON: " + detail);
        }
    }

    static int serializedSize(JsonNode event) {
        try {
            return JSON.writeValueAsBytes(event).length;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void checkEventSize(int bytes, int limit, String what) {
        if (bytes > limit) {
            throw new IntakeRejected(Reason.TOO_LARGE, what + " is " + bytes + " bytes; the limit per event is " + limit + " bytes");
        }
    }

    /**
     * The exact bytes of the first element of a JSON array body. Segment signs a batched webhook delivery over its
     * first event as it serialized it, which is exactly that slice of the body it sent.
     */
    static byte[] firstArrayElement(byte[] body) {
        try (JsonParser parser = JSON.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IntakeRejected(Reason.INVALID, "the request body is not a JSON array");
            }
            JsonToken first = parser.nextToken();
            if (first == JsonToken.END_ARRAY || first == null) {
                throw new IntakeRejected(Reason.INVALID, "the request body is an empty array; send at least one event");
            }
            int start = (int) parser.currentTokenLocation().getByteOffset();
            parser.skipChildren();
            int end = (int) parser.currentLocation().getByteOffset();
            byte[] element = new byte[end - start];
            System.arraycopy(body, start, element, 0, element.length);
            return element;
        } catch (IOException e) {
            throw new IntakeRejected(Reason.INVALID, "the request body is not valid JSON: " + e.getMessage());
        }
    }

    static ObjectNode requireObject(JsonNode node, String what) {
        if (!(node instanceof ObjectNode object)) {
            throw new IntakeRejected(Reason.INVALID, what.isEmpty() ? null : what,
                    (what.isEmpty() ? "the request body" : what) + " must be a JSON object, got " + SpecValidator.kind(node));
        }
        return object;
    }

    /** Fills in fields of {@code target} from {@code defaults} wherever the target has none, recursing into objects. */
    static void mergeMissing(ObjectNode target, ObjectNode defaults) {
        defaults.fields().forEachRemaining(entry -> {
            JsonNode own = target.get(entry.getKey());
            if (own == null || own.isNull()) {
                target.set(entry.getKey(), entry.getValue().deepCopy());
            } else if (own instanceof ObjectNode ownObject && entry.getValue() instanceof ObjectNode defaultObject) {
                mergeMissing(ownObject, defaultObject);
            }
        });
    }
}
