package org.segmentbridge.intake;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.intake.IntakeRejected.Reason;

/** Parsing and measuring request bodies, with errors a client can act on. */
public final class EventBodies {

    /** Deeper than any Segment event needs, shallow enough that no recursion over an event can run out of stack. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Digits of one number: far beyond any real id or amount, short enough that parsing it costs nothing. */
    static final int MAX_NUMBER_LENGTH = 100;
    /** One string: no event may exceed the largest body the intake takes anyway (a webhook's 16 MiB by default). */
    static final int MAX_STRING_LENGTH = 20 * 1024 * 1024;

    /**
     * The intake's parser, with its limits set deliberately rather than left to Jackson's defaults: duplicate keys are
     * refused (two readers of one event must not see two different values), numbers that overflow a double are
     * refused (they would be written back as the non-JSON token {@code Infinity}), and a body is one JSON value
     * (Jackson would otherwise read the first and drop whatever follows, a second event included, unseen).
     */
    public static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING_DEPTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH)
                            .maxStringLength(MAX_STRING_LENGTH)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .nodeFactory(new FiniteNumbers())
            .build();

    private EventBodies() {
    }

    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new IntakeRejected(Reason.INVALID, "the request body is empty; send a JSON event");
        }
        requireUtf8(body);
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

    /**
     * Refuses bytes that are not well-formed UTF-8 (RFC 3629), which JSON between systems must be. Jackson's decoder
     * refuses most ill-formed bytes itself, but takes an encoded surrogate ({@code ED A0 80}), an overlong encoding
     * ({@code C0 AF}) and code points past U+10FFFF as characters, which would then be stored as text that no UTF-8
     * writer can write back.
     */
    static void requireUtf8(byte[] body) {
        int i = 0;
        while (i < body.length) {
            int b = body[i] & 0xff;
            if (b < 0x80) {
                i++;
                continue;
            }
            int length;
            int min;
            int max = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                length = 2;
                min = 0x80;
            } else if (b >= 0xe0 && b <= 0xef) {
                length = 3;
                // E0 must not encode fewer than 12 bits (overlong); ED must not encode a surrogate.
                min = b == 0xe0 ? 0xa0 : 0x80;
                max = b == 0xed ? 0x9f : 0xbf;
            } else if (b >= 0xf0 && b <= 0xf4) {
                length = 4;
                // F0 must not be overlong; F4 must not go past U+10FFFF.
                min = b == 0xf0 ? 0x90 : 0x80;
                max = b == 0xf4 ? 0x8f : 0xbf;
            } else {
                throw invalidUtf8(b, i);
            }
            if (i + length > body.length) {
                throw invalidUtf8(b, i);
            }
            int second = body[i + 1] & 0xff;
            if (second < min || second > max) {
                throw invalidUtf8(b, i);
            }
            for (int k = 2; k < length; k++) {
                int next = body[i + k] & 0xff;
                if (next < 0x80 || next > 0xbf) {
                    throw invalidUtf8(b, i);
                }
            }
            i += length;
        }
    }

    private static IntakeRejected invalidUtf8(int b, int offset) {
        return new IntakeRejected(Reason.INVALID, String.format(
                "the request body is not valid JSON: Invalid UTF-8: the byte 0x%02X at byte offset %d does not start a"
                        + " well-formed character (send JSON encoded as UTF-8)", b, offset));
    }

    /** The parser's complaint in words a sender can act on: what is wrong and where, when Jackson knows where. */
    static String describe(IOException e) {
        if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException mismatch
                && String.valueOf(mismatch.getOriginalMessage()).startsWith("Trailing token")) {
            JsonLocation location = mismatch.getLocation();
            return "more follows the first JSON value" + (location == null ? "" : " at " + location.offsetDescription())
                    + "; send one JSON value";
        }
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

    /**
     * Refuses an event built in memory (from a form, a vendor's report) that nests deeper than a parsed body may: it
     * must meet the limits of the events the intake parses, and nothing may recurse over it before it has been measured
     * (Jackson's own writer gives up at 1,000 levels). Walks the tree without recursion.
     */
    static void requireNestingWithinLimit(JsonNode event, String what) {
        java.util.ArrayDeque<JsonNode> nodes = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Integer> depths = new java.util.ArrayDeque<>();
        nodes.push(event);
        depths.push(1);
        while (!nodes.isEmpty()) {
            JsonNode node = nodes.pop();
            int depth = depths.pop();
            if (depth > MAX_NESTING_DEPTH) {
                throw new IntakeRejected(Reason.INVALID, what + " nests deeper than " + MAX_NESTING_DEPTH + " levels of arrays and objects");
            }
            for (JsonNode child : node) {
                if (child.isContainerNode()) {
                    nodes.push(child);
                    depths.push(depth + 1);
                }
            }
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
     * The size in bytes, as sent, of each element of the top-level {@code batch} array of a body that parsed already
     * (the last such field, as the parsed tree keeps it); empty when there is none. Skipping over tokens costs a
     * fraction of writing each event out again to measure it.
     */
    static int[] batchElementSizes(byte[] body) {
        int[] sizes = new int[0];
        try (JsonParser parser = JSON.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return sizes;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean batch = "batch".equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (!batch || value != JsonToken.START_ARRAY) {
                    parser.skipChildren();
                    continue;
                }
                List<Integer> found = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    long start = parser.currentTokenLocation().getByteOffset();
                    parser.skipChildren();
                    found.add((int) (parser.currentLocation().getByteOffset() - start));
                }
                sizes = found.stream().mapToInt(Integer::intValue).toArray();
            }
            return sizes;
        } catch (IOException e) {
            throw new IllegalStateException("a body that parsed once could not be read again", e);
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

    public static ObjectNode requireObject(JsonNode node, String what) {
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
