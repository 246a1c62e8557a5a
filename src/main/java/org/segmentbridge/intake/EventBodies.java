package org.segmentbridge.intake;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.intake.IntakeRejected.Reason;

/** Parsing and measuring request bodies, with errors a client can act on. */
final class EventBodies {

    /** Deeper than any Segment event needs, shallow enough that no recursion over an event can run out of stack. */
    static final int MAX_NESTING_DEPTH = 64;
    /** Digits of one number: far beyond any real id or amount, short enough that parsing it costs nothing. */
    static final int MAX_NUMBER_LENGTH = 100;
    /** One string: no event may exceed the largest body the intake takes anyway (a webhook's 16 MiB by default). */
    static final int MAX_STRING_LENGTH = 20 * 1024 * 1024;

    /**
     * The intake's parser, with its limits set deliberately rather than left to Jackson's defaults: duplicate keys are
     * refused (two readers of one event must not see two different values), numbers that overflow a double are
     * refused (they would be written back as the non-JSON token {@code Infinity}).
     */
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH)
                            .maxStringLength(MAX_STRING_LENGTH)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .nodeFactory(new FiniteNumbers())
            .build();

    private EventBodies() {
    }

    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new IntakeRejected(Reason.INVALID, "the request body is empty; send a JSON event");
        }
        try {
            JsonNode parsed = JSON.readTree(body);
            if (parsed == null || parsed.isMissingNode()) {
                throw new IntakeRejected(Reason.INVALID, "the request body holds no JSON value; send a JSON event");
            }
            return parsed;
        } catch (StreamConstraintsException e) {
            throw new IntakeRejected(Reason.INVALID, "the request body is refused: " + constraintProblem(e));
        } catch (IOException e) {
            throw new IntakeRejected(Reason.INVALID, "the request body is not valid JSON: " + describe(e));
        }
    }

    /** The parser's complaint in words a sender can act on: what is wrong and where, when Jackson knows where. */
    static String describe(IOException e) {
        if (e instanceof JsonProcessingException processing) {
            JsonLocation location = processing.getLocation();
            String problem = String.valueOf(processing.getOriginalMessage()).lines().findFirst().orElse("");
            return location == null ? problem : problem + " at " + location.offsetDescription();
        }
        return String.valueOf(e.getMessage());
    }

    private static String constraintProblem(StreamConstraintsException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.contains("nesting depth")) {
            return "it nests deeper than " + MAX_NESTING_DEPTH + " levels of arrays and objects";
        }
        if (message.contains("Number value length") || message.contains("number value length")) {
            return "a number is longer than " + MAX_NUMBER_LENGTH + " characters";
        }
        if (message.contains("String value length") || message.contains("string value length")) {
            return "a string is longer than " + MAX_STRING_LENGTH + " characters";
        }
        return message.lines().findFirst().orElse("it exceeds a parser limit");
    }

    /** Refuses a number that a double cannot hold (1e400), which would otherwise become Infinity. */
    private static final class FiniteNumbers extends JsonNodeFactory {
        @Override
        public NumericNode numberNode(double value) {
            if (!Double.isFinite(value)) {
                throw new IntakeRejected(Reason.INVALID, "the request body holds a number too large for a double");
            }
            return super.numberNode(value);
        }

        @Override
        public NumericNode numberNode(float value) {
            if (!Float.isFinite(value)) {
                throw new IntakeRejected(Reason.INVALID, "the request body holds a number too large for a float");
            }
            return super.numberNode(value);
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
        } catch (StreamConstraintsException e) {
            throw new IntakeRejected(Reason.INVALID, "the request body is refused: " + constraintProblem(e));
        } catch (IOException e) {
            throw new IntakeRejected(Reason.INVALID, "the request body is not valid JSON: " + describe(e));
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
