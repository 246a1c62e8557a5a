package org.segmentbridge.intake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Hostile requests for every intake, webhook and admin endpoint, made by mutating valid ones, each with what is known
 * about its answer. A request is a pure function of (seed, index), so any failure reproduces on its own.
 *
 * <p>What is known comes from the endpoints' contract (docs/interface.md, the Segment Spec, the limits in
 * application.properties), not from the code under test: a valid request is answered 200 and stored; a request with
 * one wrong top-level field is refused with a 400 naming that field where the Spec does not allow that type; bodies
 * beyond the intake's limits (nesting 64, numbers of 100 characters, 32 KB per event, ...) are refused naming the
 * limit. Where the answer depends on details the contract leaves open, only the contract's general promise is checked:
 * a 2xx or a 4xx, never a 5xx, with the bridge's JSON.
 */
final class HostileRequests {

    static final String WRITE_KEY = "fuzz-write-key";
    static final String SEGMENT_SECRET = "fuzz-segment-secret";
    static final String ADMIN_TOKEN = "fuzz-admin-token";
    static final String ITERABLE_TOKEN = "fuzz-iterable-token";
    static final String SAILTHRU_KEY = "fuzz-sailthru-key";
    static final String SAILTHRU_SECRET = "fuzz-sailthru-secret";

    /** camel.server.maxBodySize: Vert.x refuses larger bodies itself. */
    static final int SERVER_MAX_BODY = 20 * 1024 * 1024;
    static final int MAX_EVENT_BYTES = 32_768;
    static final int MAX_BATCH_BYTES = 512_000;
    static final int MAX_BATCH_EVENTS = 2_500;
    static final int MAX_WEBHOOK_BYTES = 16 * 1024 * 1024;
    /** The intake parser's nesting limit. */
    static final int MAX_DEPTH = 64;
    /** Longest userId, anonymousId, previousId or person's key (email) the identity store keeps. */
    static final int MAX_IDENTIFIER = 500;
    /** Bodies above this size are sent one at a time, so that a few of them never exhaust the test's heap. */
    static final int BIG_BODY = 1024 * 1024;

    static final String TRACKING = "tracking-api";
    static final String SEGMENT_WEBHOOK = "segment-webhook";
    static final String PROBE_EVENT = "Fuzz Probe";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory LENIENT = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> CALLS = List.of("identify", "track", "page", "screen", "group", "alias");
    private static final List<String> TOP_FIELDS = List.of("type", "userId", "anonymousId", "messageId", "event", "name",
            "groupId", "previousId", "properties", "traits", "context", "integrations", "timestamp", "originalTimestamp",
            "sentAt", "receivedAt", "writeKey", "channel", "version");
    private static final List<String> ITERABLE_EVENTS = List.of("emailSend", "emailOpen", "emailClick", "emailBounce",
            "emailComplaint", "emailUnSubscribe", "emailSubscribe", "smsSend", "inAppOpen", "pushSend", "emailSendSkip");
    /** Iterable webhooks that become events (the others are acknowledged without any). */
    private static final Set<String> ITERABLE_KEPT = Set.of("emailSend", "emailOpen", "emailClick", "emailBounce",
            "emailComplaint", "emailUnSubscribe", "emailSubscribe");

    /** Whose conventions an answer follows. */
    enum Contract {
        /** Intake and webhooks: 200 {"success":true}, or a 4xx {"success":false,"error":...}. */
        INTAKE,
        /** Admin: JSON, errors as {"error":...}. */
        ADMIN,
        /** A path that may reach either. */
        EITHER
    }

    /** The kinds of JSON value a field can be set to (or removed). */
    enum Kind {
        ABSENT, NULL, INTEGRAL, FLOAT, STRING, BOOL, ARRAY, OBJECT
    }

    /** One request and what the test knows about its answer. */
    static final class Request {
        final int index;
        final StringBuilder shape = new StringBuilder();
        String method = "POST";
        String path;
        final List<String> headers = new ArrayList<>();
        byte[] body = new byte[0];
        /** When set, sent over a plain socket exactly as these bytes (request line, headers and body). */
        byte[] raw;
        Contract contract = Contract.INTAKE;
        /** The status the answer must have; null: any 2xx or 4xx. */
        Integer expected;
        /** What a 4xx answer's error (or field) must name, when set. */
        String mentions;
        /** The batch or array index a 400 must name, when set. */
        Integer errorIndex;
        /** Statuses Vert.x itself may answer with a body of its own (not the bridge's JSON). */
        final Set<Integer> serverAnswers = new LinkedHashSet<>();
        /** The server may close the connection without answering (a body over the server's own limit). */
        boolean mayDropConnection;
        /** The intake endpoint whose events are counted when a 200 stores {@link #events} events on every queue. */
        String storedVia;
        int events;

        Request(int index) {
            this.index = index;
        }

        Request shape(String what) {
            shape.append(shape.length() == 0 ? "" : ", ").append(what);
            return this;
        }

        Request header(String name, String value) {
            headers.add(name);
            headers.add(value);
            return this;
        }

        int size() {
            return raw != null ? raw.length : body.length;
        }

        @Override
        public String toString() {
            return "#" + index + " " + method + " " + abbreviate(path, 80) + " [" + shape + "] (" + size() + " bytes)";
        }
    }

    private final long seed;

    HostileRequests(long seed) {
        this.seed = seed;
    }

    /**
     * The first requests set every top-level field of an event, in turn, to every kind of JSON value (or remove it),
     * once on /v1/* and once on /webhooks/segment; the random ones follow.
     */
    static final int SWEEP = 2 * TOP_FIELDS.size() * Kind.values().length;

    /** The request with this index: the same for the same seed, whatever ran before. */
    Request request(int index) {
        Gen gen = new Gen(new Random(seed * 0x9E3779B97F4A7C15L + index * 0xC2B2AE3D27D4EB4FL), index);
        if (index < SWEEP) {
            return gen.sweep(index % 2 == 0, TOP_FIELDS.get(index / 2 / Kind.values().length), Kind.values()[index / 2 % Kind.values().length]);
        }
        if (index < SWEEP + Gen.NAMED_CASES) {
            return gen.named(index - SWEEP);
        }
        int pick = gen.random.nextInt(1000);
        if (pick < 370) {
            return gen.tracking();
        }
        if (pick < 530) {
            return gen.segmentWebhook();
        }
        if (pick < 640) {
            return gen.sailthru();
        }
        if (pick < 750) {
            return gen.iterable();
        }
        if (pick < 870) {
            return gen.admin();
        }
        if (pick < 930) {
            return gen.wrongMethod();
        }
        if (pick < 965) {
            return gen.oddPath();
        }
        return gen.rawWire();
    }

    /** A valid track that the test's route sends on to the fake Iterable. */
    static String probeEvent(String messageId, String email) {
        return "{\"type\":\"track\",\"event\":\"" + PROBE_EVENT + "\",\"userId\":\"probe-" + messageId + "\",\"messageId\":\""
                + messageId + "\",\"properties\":{\"n\":1},\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}";
    }

    static String abbreviate(String text, int length) {
        return text == null || text.length() <= length ? text : text.substring(0, length) + "…(" + text.length() + ")";
    }

    // ---- what the endpoints answer ----------------------------------------------------------------------------

    /** The JSON endpoints, whose checks run in the order modelled by {@link Verdict#expected}. */
    enum Endpoint {
        SINGLE, BATCH, SEGMENT_WEBHOOK, ITERABLE
    }

    enum Auth {
        VALID, MISSING, WRONG
    }

    /** What one change (or none) to a JSON endpoint's request means for its answer. */
    static final class Verdict {
        final Endpoint endpoint;
        Auth auth = Auth.VALID;
        boolean unsupportedMedia;
        /** The body cannot be parsed: a 400 naming this ("" for any message). */
        String unparseable;
        /** Only the first element of a webhook array is read before the signature is checked. */
        boolean unparseableFirst;
        /** A field breaks the contract: a 400 naming this. */
        String refusedField;
        Integer refusedIndex;
        /** An event is larger than an event may be: a 413. */
        boolean eventTooLarge;
        /** More events than a batch may hold. */
        boolean tooManyEvents;
        /** Nothing more can be said than the contract's general promise. */
        boolean unknown;
        /** The whole body was shaped (cut, emptied, replaced) after it was rendered. */
        boolean shaped;

        Verdict(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        void refuse(String field, Integer index) {
            refusedField = field;
            refusedIndex = index;
        }

        /** Sets the request's expected status, mention and index from everything known, in the endpoint's order. */
        void apply(Request request) {
            int size = request.body.length;
            if (size > SERVER_MAX_BODY) {
                request.mayDropConnection = true;
                request.serverAnswers.add(413);
                expect(request, 413, null, null);
                return;
            }
            // Admission control refuses a declared length no request to the endpoint may have, before reading it.
            if (size > (endpoint == Endpoint.SINGLE || endpoint == Endpoint.BATCH ? MAX_BATCH_BYTES : MAX_WEBHOOK_BYTES)) {
                expect(request, 413, "bytes", null);
                return;
            }
            if (unsupportedMedia) {
                expect(request, 415, "Content-Type", null);
                return;
            }
            switch (endpoint) {
                case SINGLE, BATCH -> {
                    int limit = endpoint == Endpoint.BATCH ? MAX_BATCH_BYTES : MAX_EVENT_BYTES;
                    if (auth == Auth.WRONG) {
                        expect(request, 401, null, null);
                    } else if (size > limit) {
                        expect(request, 413, "bytes", null);
                    } else if (unparseable != null) {
                        expect(request, 400, unparseable, null);
                    } else if (auth == Auth.MISSING) {
                        expect(request, unknown ? null : (Integer) 401, null, null);
                    } else {
                        afterParsing(request);
                    }
                }
                case SEGMENT_WEBHOOK -> {
                    boolean array = size > 0 && request.body[0] == '[';
                    if (size > MAX_WEBHOOK_BYTES) {
                        expect(request, 413, "bytes", null);
                    } else if (array && unparseable != null && unparseableFirst) {
                        expect(request, 400, unparseable, null);
                    } else if (auth != Auth.VALID) {
                        expect(request, array ? null : (Integer) 401, null, null);
                    } else if (unparseable != null) {
                        expect(request, 400, unparseable, null);
                    } else {
                        afterParsing(request);
                    }
                }
                case ITERABLE -> {
                    if (auth != Auth.VALID) {
                        expect(request, 401, null, null);
                    } else if (unparseable != null) {
                        expect(request, 400, unparseable, null);
                    } else {
                        afterParsing(request);
                    }
                }
                default -> throw new IllegalStateException(endpoint.name());
            }
        }

        private void afterParsing(Request request) {
            if (unknown) {
                expect(request, null, null, null);
            } else if (tooManyEvents) {
                expect(request, 413, "batch", null);
            } else if (refusedField != null) {
                expect(request, 400, refusedField, refusedIndex);
            } else if (eventTooLarge) {
                expect(request, 413, "bytes", null);
            } else {
                expect(request, 200, null, null);
            }
        }

        private static void expect(Request request, Integer status, String mentions, Integer index) {
            request.expected = status;
            request.mentions = mentions;
            request.errorIndex = index;
        }
    }

    /** Generates one request from its own random source. */
    private static final class Gen {
        final Random random;
        final int index;
        private int unique;

        Gen(Random random, int index) {
            this.random = random;
            this.index = index;
        }

        boolean chance(int percent) {
            return random.nextInt(100) < percent;
        }

        boolean perMille(int perMille) {
            return random.nextInt(1000) < perMille;
        }

        @SafeVarargs
        final <T> T pick(T... values) {
            return values[random.nextInt(values.length)];
        }

        <T> T pick(List<T> values) {
            return values.get(random.nextInt(values.size()));
        }

        /** A value no other request uses: dedupe and erasure must never join two requests. */
        String unique(String prefix) {
            return prefix + "-" + index + "-" + (unique++);
        }

        String email() {
            return unique("fz") + "@example.com";
        }

        /** A string of exactly {@code length} characters that no other request uses. */
        String uniqueOfLength(String prefix, int length, String suffix) {
            String start = unique(prefix) + "-";
            return start + "x".repeat(Math.max(0, length - start.length() - suffix.length())) + suffix;
        }

        static String basic(String user, String password) {
            return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        // ---- Segment events -------------------------------------------------------------------------------------

        String iso() {
            return pick("2026-11-22T10:00:00.000Z", "2026-11-22T10:00:00Z", "2026-11-22T11:00:00.123+01:00",
                    "2025-01-01T00:00:00.000-05:00");
        }

        /** A valid Segment event of this type. */
        ObjectNode event(String type) {
            ObjectNode event = NODES.objectNode();
            event.put("type", type);
            event.put("messageId", unique("m"));
            int ids = random.nextInt(3);
            if (ids != 1 || "delete".equals(type) || "alias".equals(type)) {
                event.put("userId", unique("user"));
            }
            if (ids != 0 && !"delete".equals(type)) {
                event.put("anonymousId", unique("anon"));
            }
            if ("delete".equals(type)) {
                return event;
            }
            ObjectNode context = event.putObject("context");
            context.put("ip", "10.0.0." + random.nextInt(255));
            context.putObject("library").put("name", "analytics-java").put("version", "3.5.1");
            context.put("locale", "de-DE");
            if (chance(70)) {
                context.putObject("traits").put("email", email());
            }
            event.putObject("integrations").put("All", true).put("Iterable", random.nextBoolean());
            if (chance(50)) {
                event.put("timestamp", iso());
            } else if (chance(50)) {
                event.put("originalTimestamp", iso());
                event.put("sentAt", iso());
            }
            switch (type) {
                case "identify" -> {
                    ObjectNode traits = event.putObject("traits");
                    traits.put("email", email()).put("firstName", "Ann").put("plan", pick("gold", "free"))
                            .put("age", 30 + random.nextInt(40)).put("vip", random.nextBoolean());
                    traits.putObject("address").put("city", "Köln").put("postalCode", "50667");
                    traits.putArray("tags").add("a").add("b");
                }
                case "track" -> {
                    event.put("event", chance(3) ? PROBE_EVENT
                            : pick("Order Completed", "Product Viewed", "Signed Up", "Article Read", "Checkout Started"));
                    ObjectNode properties = event.putObject("properties");
                    properties.put("revenue", 12.5).put("currency", "EUR").put("order_id", unique("order"));
                    properties.putArray("products").addObject().put("product_id", "p-1").put("price", 9.99).put("quantity", 2);
                }
                case "page", "screen" -> {
                    event.put("name", pick("Home", "Pricing", "Settings"));
                    event.putObject("properties").put("url", "https://example.com/" + unique("p")).put("title", "Title");
                }
                case "group" -> {
                    event.put("groupId", unique("group"));
                    event.putObject("traits").put("name", "Acme").put("employees", 120);
                }
                case "alias" -> event.put("previousId", unique("previous"));
                default -> throw new IllegalArgumentException(type);
            }
            return event;
        }

        /** A small valid event, for large batches. */
        ObjectNode small(String type) {
            ObjectNode event = NODES.objectNode().put("type", type).put("messageId", unique("m")).put("userId", unique("u"));
            switch (type) {
                case "track" -> event.put("event", "Bulk");
                case "group" -> event.put("groupId", unique("g"));
                case "alias" -> event.put("previousId", unique("p"));
                default -> {
                    // nothing else is required
                }
            }
            return event;
        }

        /** A value of this kind; strings and numbers are never shared with another request. */
        JsonNode value(Kind kind) {
            return switch (kind) {
                case ABSENT, NULL -> NODES.nullNode();
                case INTEGRAL -> random.nextBoolean() ? NODES.numberNode(1_000_000L * index + unique++)
                        : NODES.numberNode(new BigInteger("92233720368547758070" + index + "0" + unique++));
                case FLOAT -> NODES.numberNode(1_000_000.0 * index + unique++ + 0.25);
                case STRING -> NODES.textNode(unique("s"));
                case BOOL -> NODES.booleanNode(random.nextBoolean());
                case ARRAY -> random.nextBoolean() ? NODES.arrayNode()
                        : NODES.arrayNode().add(unique("e")).add(1).add(NODES.objectNode().put("k", unique("v")));
                case OBJECT -> random.nextBoolean() ? NODES.objectNode()
                        : NODES.objectNode().put("k", unique("v")).set("list", NODES.arrayNode().add(1));
            };
        }

        /**
         * Whether the intake must take an otherwise valid Segment event whose top-level {@code field} holds a value of
         * {@code kind}, by the Segment Spec: ids are strings (integers are taken as their text), the type must match
         * the endpoint, context/traits/properties/integrations are objects, timestamps ISO-8601 strings.
         *
         * @param call the single call's endpoint (its type may be left out), or null in a batch or a webhook
         */
        static boolean acceptable(ObjectNode event, String field, Kind kind, String call, boolean tracking) {
            String type = event.path("type").asText(call);
            boolean id = kind == Kind.INTEGRAL || kind == Kind.STRING;
            boolean missing = kind == Kind.ABSENT || kind == Kind.NULL;
            boolean notText = !id && !missing;
            return switch (field) {
                case "type" -> call != null && missing;
                case "userId", "anonymousId" -> {
                    if ("delete".equals(type)) {
                        yield "userId".equals(field) ? id : !notText;
                    }
                    String other = "userId".equals(field) ? "anonymousId" : "userId";
                    yield !notText && (id || event.hasNonNull(other));
                }
                case "messageId" -> missing || kind == Kind.STRING;
                case "event" -> !"track".equals(type) || kind == Kind.STRING;
                case "groupId" -> !"group".equals(type) || id;
                case "previousId" -> !"alias".equals(type) || id;
                case "properties", "traits", "context", "integrations" -> missing || kind == Kind.OBJECT;
                case "timestamp", "originalTimestamp", "sentAt" -> missing;
                // The Tracking API stamps receivedAt itself; a webhook's own must be a timestamp.
                case "receivedAt" -> tracking || missing;
                default -> true;
            };
        }

        /** A random place in an event: a top-level field mostly, sometimes one nested in an object. */
        String[] place(ObjectNode event) {
            if (chance(70)) {
                return new String[] {pick(TOP_FIELDS)};
            }
            List<String[]> nested = new ArrayList<>();
            for (String parent : List.of("properties", "traits", "context", "integrations", "dataFields")) {
                if (event.get(parent) instanceof ObjectNode object) {
                    nested.add(new String[] {parent, unique("f")});
                    object.fieldNames().forEachRemaining(name -> nested.add(new String[] {parent, name}));
                }
            }
            if (event.path("context").path("traits") instanceof ObjectNode) {
                nested.add(new String[] {"context", "traits", "email"});
            }
            return nested.isEmpty() ? new String[] {pick(TOP_FIELDS)} : pick(nested);
        }

        static void set(ObjectNode event, String[] path, JsonNode value) {
            ObjectNode parent = event;
            for (int i = 0; i < path.length - 1; i++) {
                parent = parent.get(path[i]) instanceof ObjectNode child ? child : parent.putObject(path[i]);
            }
            if (value == null) {
                parent.remove(path[path.length - 1]);
            } else {
                parent.set(path[path.length - 1], value);
            }
        }

        /** The person's key as the identity store reads it by default ($.traits.email, then $.context.traits.email). */
        static String key(JsonNode event) {
            for (JsonNode node : List.of(event.path("traits").path("email"), event.path("context").path("traits").path("email"))) {
                if (node.isValueNode() && !node.isNull() && !node.asText().isBlank()) {
                    return node.asText().trim();
                }
            }
            return null;
        }

        /**
         * Changes one event in place (raw text the serializer cannot write goes in through {@code doc}) and records
         * what the intake must answer in {@code verdict}.
         *
         * @param call    the single call's endpoint, or null in a batch or webhook
         * @param spec    true for a Segment event (the Spec's field rules apply), false for free-form data
         * @param depth   how deep the event's object sits in the body (1 for a body that is the event)
         * @param at      the event's index in a batch or array, or null
         * @param first   true when the event is the first (or only) in the body
         */
        void mutate(Doc doc, ObjectNode event, Verdict verdict, Request request, String call, boolean spec, int depth,
                    Integer at, boolean first) {
            boolean tracking = verdict.endpoint == Endpoint.SINGLE || verdict.endpoint == Endpoint.BATCH;
            int what = random.nextInt(100);
            if (what < 40) {
                // A field set, in turn over the requests, to every JSON type, or removed.
                String[] path = place(event);
                Kind kind = pick(List.of(Kind.values()));
                set(event, path, kind == Kind.ABSENT ? null : value(kind));
                request.shape(String.join(".", path) + "=" + kind);
                if (spec && path.length == 1 && !acceptable(event, path[0], kind, call, tracking)) {
                    verdict.refuse(path[0], at);
                }
            } else if (what < 50) {
                // An identifier or the person's key longer than the identity store keeps, or just within.
                String field = spec ? pick("userId", "anonymousId", "previousId", "traits.email", "context.traits.email")
                        : pick("userId", "email", "messageId");
                int length = pick(100, MAX_IDENTIFIER - 1, MAX_IDENTIFIER, MAX_IDENTIFIER + 1, 512, 513, 600, 5000);
                String[] path = field.split("\\.");
                set(event, path, NODES.textNode(uniqueOfLength("long", length, field.endsWith("email") ? "@example.com" : "")));
                request.shape(field + " of " + length + " characters");
                String type = event.path("type").asText(call);
                if (spec && (field.equals("userId") || field.equals("anonymousId") || (field.equals("previousId") && "alias".equals(type)))) {
                    if (length > MAX_IDENTIFIER) {
                        verdict.refuse(field, at);
                    }
                } else if (spec && field.endsWith("email")) {
                    String key = key(event);
                    if (key != null && key.length() > MAX_IDENTIFIER) {
                        verdict.refuse("email", at);
                    }
                }
            } else if (what < 64) {
                // Nesting: within the limit, at it, and far past it (up to 10,000 levels).
                int levels = pick(2, 10, 30, 60, 61, 62, 63, 64, 65, 66, 70, 100, 500, 1000, 5000, 10_000);
                String[] path = place(event);
                boolean arrays = random.nextBoolean();
                String nested = arrays ? "[".repeat(levels) + "]".repeat(levels)
                        : "{\"a\":".repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
                set(event, path, NODES.textNode(doc.raw(nested)));
                request.shape(String.join(".", path) + " nested " + levels + (arrays ? " arrays" : " objects"));
                int total = depth + path.length - 1 + levels;
                if (total > MAX_DEPTH + 1) {
                    verdict.unparseable = "nests deeper than " + MAX_DEPTH;
                    verdict.unparseableFirst = first;
                } else if (total > MAX_DEPTH - 1) {
                    // At the limit: whether 64 or 65 is the first depth refused is the parser's business.
                    verdict.unknown = true;
                } else if (spec && path.length == 1 && !acceptable(event, path[0], arrays ? Kind.ARRAY : Kind.OBJECT, call, tracking)) {
                    verdict.refuse(path[0], at);
                }
            } else if (what < 76) {
                // Numbers: too large for a double, too long, not JSON at all, or odd but fine.
                String[] path = place(event);
                String number = pick("1e400", "-1e400", "2e308", "1e-400", "-0", "-0.0", "0e0", "NaN", "Infinity",
                        "-Infinity", "0x10", "01", ".5", "+1", "1.", "1e", "--1", "1" + "0".repeat(200), "9".repeat(99),
                        "9".repeat(101), "123456789012345678901234567890", "1E2", "1.7976931348623157E308");
                set(event, path, NODES.textNode(doc.raw(number)));
                request.shape(String.join(".", path) + "=" + (number.length() > 25 ? number.length() + "-digit number" : number));
                switch (number) {
                    case "1e400", "-1e400", "2e308" -> verdict.unparseable = "too large";
                    case "NaN", "Infinity", "-Infinity", "0x10", "01", ".5", "+1", "1.", "1e", "--1" -> verdict.unparseable = "";
                    default -> {
                        if (number.length() > 100) {
                            verdict.unparseable = "longer than 100";
                        } else if (spec && path.length == 1
                                && !acceptable(event, path[0], number.matches("-?\\d+") ? Kind.INTEGRAL : Kind.FLOAT, call, tracking)) {
                            verdict.refuse(path[0], at);
                        }
                    }
                }
                // Reading past a webhook array's first element (before its signature is checked) tokenizes it,
                // which finds a bad token or an over-long number, but converts no number.
                if (verdict.unparseable != null) {
                    verdict.unparseableFirst = first && !"too large".equals(verdict.unparseable);
                }
            } else if (what < 86) {
                // Strings: escaped lone surrogates are JSON; bytes that are not UTF-8 are not.
                String[] path = place(event);
                if (random.nextInt(3) == 0) {
                    String surrogate = pick("\\ud800", "\\udfff", "\\ud800\\ud800", "\\udc00x");
                    set(event, path, NODES.textNode(doc.raw("\"" + unique("sur") + surrogate + "\"")));
                    request.shape(String.join(".", path) + " with a lone surrogate");
                    if (spec && path.length == 1 && !acceptable(event, path[0], Kind.STRING, call, tracking)) {
                        verdict.refuse(path[0], at);
                    }
                } else {
                    byte[][] invalid = {{(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                            {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                            {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
                    byte[] bad = invalid[random.nextInt(invalid.length)];
                    set(event, path, NODES.textNode(doc.bytesInString(unique("utf") + "-", bad)));
                    request.shape(String.join(".", path) + " with invalid UTF-8 " + HexFormat.of().formatHex(bad));
                    verdict.unparseable = "UTF-8";
                    // Whether reading past a first element finds every ill-formed byte is the tokenizer's business.
                    verdict.unparseableFirst = false;
                }
            } else if (what < 92) {
                // Duplicate keys: two readers of one event must never see two values.
                String key = pick("userId", "type", "messageId", "event", "x");
                event.put(doc.duplicate(key, "\"" + unique("a") + "\"", "\"" + unique("b") + "\""), 0);
                request.shape("duplicate key " + key);
                verdict.unparseable = "Duplicate field";
                verdict.unparseableFirst = first;
            } else {
                // Timestamps inside and far outside what dates are written with (RFC 3339: years 0000 to 9999).
                String field = pick("timestamp", "sentAt", "originalTimestamp");
                String value = pick("+999999999-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z", "+10000-01-01T00:00:00Z",
                        "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "-0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
                        "2026-11-22T10:00:00+18:00", "2026-11-22T10:00:00+19:00", "2026-11-22 10:00:00Z", "1970-01-01T00:00:00Z");
                event.put(field, value);
                if (!"timestamp".equals(field)) {
                    // Without a timestamp the intake corrects the clock skew from sentAt and originalTimestamp.
                    event.remove("timestamp");
                    event.put("sentAt".equals(field) ? "originalTimestamp" : "sentAt", "2026-11-22T10:00:00Z");
                }
                request.shape(field + "=" + value);
                boolean valid = value.matches("\\d{4}-\\d\\d-\\d\\dT.*") && !value.startsWith("2026-02-30") && !value.endsWith("+19:00");
                if (spec && !valid) {
                    verdict.refuse(field, at);
                }
            }
        }

        /** Shapes of the whole body: empty, cut short, not an object, huge, more than one value. */
        void bodyShape(Request request, Verdict verdict, Doc doc) {
            String shape = pick("empty", "truncated", "truncated", "not an object", "huge string", "whitespace",
                    "trailing garbage", "two values", "byte order mark");
            byte[] body = request.body;
            verdict.shaped = true;
            switch (shape) {
                case "empty" -> request.body = new byte[0];
                case "truncated" -> request.body = Arrays.copyOf(body, 1 + random.nextInt(body.length - 2));
                case "not an object" -> request.body = pick("[]", "[1]", "1", "\"s\"", "true", "null", "[[]]", "-0", "[null]")
                        .getBytes(StandardCharsets.UTF_8);
                case "whitespace" -> request.body = " \n\t ".getBytes(StandardCharsets.UTF_8);
                case "trailing garbage" -> request.body = concat(body, pick(" x", "}", "]", ",{}", " 1", "\u0000")
                        .getBytes(StandardCharsets.UTF_8));
                case "two values" -> request.body = concat(body, body);
                case "byte order mark" -> request.body = concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, body);
                case "huge string" -> {
                    int length = pick(10_000, 32_000, 33_000, 100_000, 600_000, 3_000_000, 17_000_000, 21_000_000);
                    String text = new String(body, StandardCharsets.UTF_8);
                    int brace = text.lastIndexOf('}');
                    request.body = (text.substring(0, brace) + ",\"filler\":\"" + "f".repeat(length) + "\"" + text.substring(brace))
                            .getBytes(StandardCharsets.UTF_8);
                    shape += " of " + length;
                    // The filler lands in the last event of a webhook, or in a single event; at the top of a batch or
                    // of an Iterable webhook it is no event's field.
                    boolean inEvent = verdict.endpoint == Endpoint.SINGLE || verdict.endpoint == Endpoint.SEGMENT_WEBHOOK;
                    if (inEvent && length >= 33_000) {
                        verdict.eventTooLarge = true;
                    } else if (inEvent && length > 20_000) {
                        verdict.unknown = true;
                    }
                }
                default -> throw new IllegalArgumentException(shape);
            }
            request.shape(shape);
            switch (shape) {
                case "empty", "truncated", "whitespace", "trailing garbage", "two values" -> {
                    verdict.unparseable = "";
                    // A webhook array's first element, which is read before the signature, may still be whole.
                    verdict.unparseableFirst = !shape.equals("truncated") && !shape.equals("trailing garbage") && !shape.equals("two values");
                }
                case "not an object" -> {
                    // Parsed, then refused as not an event (or, without credentials, possibly for those first).
                    verdict.unparseable = "";
                    verdict.unparseableFirst = true;
                    if (verdict.endpoint == Endpoint.SEGMENT_WEBHOOK || verdict.auth == Auth.MISSING) {
                        verdict.unknown = true;
                        verdict.unparseable = null;
                    }
                }
                case "byte order mark" -> verdict.unknown = true;
                default -> {
                    // judged above
                }
            }
        }

        static byte[] concat(byte[] a, byte[] b) {
            byte[] joined = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, joined, a.length, b.length);
            return joined;
        }

        /** Write-key credentials for /v1: a valid Basic header most of the time. */
        void trackingAuth(Request request, Verdict verdict) {
            int what = random.nextInt(100);
            if (what < 86) {
                request.header("Authorization", chance(90) ? basic(WRITE_KEY, "") : basic(WRITE_KEY, unique("pw")));
            } else if (what < 90) {
                verdict.auth = Auth.MISSING;
                request.shape("no Authorization");
            } else {
                // Any Authorization header other than Basic with a known write key is refused before the body is read.
                String header = pick(basic("wrong-" + unique("k"), ""), "Basic", "Basic !!!notbase64",
                        "Basic " + Base64.getEncoder().encodeToString(":".getBytes(StandardCharsets.UTF_8)), "Bearer " + WRITE_KEY,
                        "Digest x", "Basic " + "A".repeat(pick(100, 4000, 7000)), basic("ünïcödé-" + unique("k"), ""),
                        "Basic " + Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe, ':'}),
                        "basic " + Base64.getEncoder().encodeToString((WRITE_KEY + "x:").getBytes(StandardCharsets.UTF_8)),
                        "Basic \u00e9\u00e8", "Basic " + Base64.getEncoder().encodeToString(WRITE_KEY.getBytes(StandardCharsets.UTF_8)) + "====");
                request.header("Authorization", header);
                verdict.auth = Auth.WRONG;
                request.shape("Authorization '" + abbreviate(header, 30) + "'");
            }
        }

        /** The Content-Type of a JSON endpoint: JSON mostly, then every other kind, upper case included. */
        void contentType(Request request, Verdict verdict, boolean jsonOnly) {
            String type = "application/json";
            if (chance(18)) {
                type = pick("text/plain", "text/plain;charset=UTF-8", "application/xml", "text/xml", "", "none", "garbage",
                        "x/y;;;==", "APPLICATION/JSON", "application/jsonx", "*/*", "application/octet-stream",
                        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                        "Application/X-WWW-Form-Urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data",
                        "Multipart/Form-Data; boundary=q", "application/json, text/plain", "application/vnd.segment+json",
                        "application/json; charset=utf-16");
                request.shape("Content-Type '" + type + "'");
            } else if (chance(20)) {
                type = "application/json; charset=utf-8";
            }
            if (!"none".equals(type)) {
                request.header("Content-Type", type);
            }
            String lower = type.toLowerCase(Locale.ROOT);
            if (lower.startsWith("application/x-www-form-urlencoded") || lower.startsWith("multipart/form-data")) {
                verdict.unsupportedMedia = true;
                // Vert.x decodes a form before any route sees it, and answers one it cannot decode itself.
                request.serverAnswers.add(400);
                request.serverAnswers.add(413);
            } else if (jsonOnly && !lower.startsWith("application/json")) {
                verdict.unsupportedMedia = true;
            }
            if (lower.contains("utf-16")) {
                // The intake reads JSON as UTF-8 whatever the charset says; the answer depends on the bytes.
                verdict.unknown = true;
                if (verdict.unparseable != null) {
                    verdict.unparseable = "";
                }
            }
        }

        // ---- in turn, and by name ------------------------------------------------------------------------------

        /** One event whose top-level {@code field} is set to a value of {@code kind} (or removed), and nothing else. */
        Request sweep(boolean tracking, String field, Kind kind) {
            Request request = new Request(index);
            String type = pick(CALLS);
            Verdict verdict = new Verdict(tracking ? Endpoint.SINGLE : Endpoint.SEGMENT_WEBHOOK);
            request.path = tracking ? "/v1/" + type : "/webhooks/segment";
            request.storedVia = tracking ? TRACKING : SEGMENT_WEBHOOK;
            request.events = 1;
            ObjectNode event = event(type);
            set(event, new String[] {field}, kind == Kind.ABSENT ? null : value(kind));
            request.shape(type + ", " + field + "=" + kind + " (in turn)");
            if (!acceptable(event, field, kind, tracking ? type : null, tracking)) {
                verdict.refuse(field, null);
            }
            request.body = new Doc().render(event);
            if (tracking) {
                request.header("Authorization", basic(WRITE_KEY, ""));
            } else {
                request.header("X-Signature", hmac(request.body));
            }
            request.header("Content-Type", "application/json");
            verdict.apply(request);
            return request;
        }

        static final int NAMED_CASES = 6;

        /** Cases named in issue 14, sent whatever the seed. */
        Request named(int which) {
            Request request = new Request(index);
            String deepObjects = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":" + "{\"a\":".repeat(10_000)
                    + "{}" + "}".repeat(10_000) + "}";
            String deepArrays = "[".repeat(10_000) + "]".repeat(10_000);
            String body;
            switch (which) {
                case 0, 1 -> {
                    // XML declared, a deeply nested object sent: refused for its nesting, signed or not.
                    request.path = "/webhooks/segment";
                    body = which == 0 ? deepObjects : deepArrays;
                    request.header("Content-Type", "application/xml").header("X-Signature", hmac(body.getBytes(StandardCharsets.UTF_8)));
                    request.expected = 400;
                    request.mentions = "nests deeper than " + MAX_DEPTH;
                    request.shape("application/xml, nested 10,000 " + (which == 0 ? "objects" : "arrays") + ", signed");
                }
                case 2 -> {
                    request.path = "/webhooks/segment";
                    body = deepObjects;
                    request.header("Content-Type", "application/xml");
                    request.expected = 401;
                    request.shape("application/xml, nested 10,000 objects, unsigned");
                }
                case 3 -> {
                    request.path = "/v1/batch";
                    body = "{\"batch\":" + deepArrays + "}";
                    request.header("Content-Type", "application/json").header("Authorization", basic(WRITE_KEY, ""));
                    request.expected = 400;
                    request.mentions = "nests deeper than " + MAX_DEPTH;
                    request.shape("batch nested 10,000 arrays");
                }
                case 4 -> {
                    request.path = "/webhooks/iterable";
                    body = "{\"email\":\"" + email() + "\",\"eventName\":\"emailOpen\",\"dataFields\":" + "{\"a\":".repeat(10_000)
                            + "{}" + "}".repeat(10_000) + "}";
                    request.header("Content-Type", "application/json").header("Authorization", "Bearer " + ITERABLE_TOKEN);
                    request.expected = 400;
                    request.mentions = "nests deeper than " + MAX_DEPTH;
                    request.shape("Iterable dataFields nested 10,000 objects");
                }
                default -> {
                    request.path = "/v1/track";
                    body = "{\"userId\":\"" + unique("u") + "\",\"event\":\"E\",\"properties\":{\"n\":1e400,\"m\":" + "1" + "0".repeat(200) + "}}";
                    request.header("Content-Type", "application/json").header("Authorization", basic(WRITE_KEY, ""));
                    request.expected = 400;
                    request.mentions = "too large for a double";
                    request.shape("1e400");
                }
            }
            request.body = body.getBytes(StandardCharsets.UTF_8);
            return request;
        }

        // ---- /v1/* ------------------------------------------------------------------------------------------------

        Request tracking() {
            Request request = new Request(index);
            boolean batch = chance(35);
            String call = batch ? pick("batch", "import") : pick(CALLS);
            request.path = "/v1/" + call + (chance(3) ? "/" : "");
            request.storedVia = TRACKING;
            Verdict verdict = new Verdict(batch ? Endpoint.BATCH : Endpoint.SINGLE);
            Doc doc = new Doc();
            List<ObjectNode> events = new ArrayList<>();
            ObjectNode root;
            if (batch) {
                int size = perMille(3) ? pick(MAX_BATCH_EVENTS, MAX_BATCH_EVENTS + 1)
                        : chance(5) ? 20 + random.nextInt(60) : 1 + random.nextInt(12);
                root = NODES.objectNode();
                ArrayNode array = root.putArray("batch");
                for (int i = 0; i < size; i++) {
                    ObjectNode event = size > 100 ? small(pick(CALLS)) : event(pick(CALLS));
                    events.add(event);
                    array.add(event);
                }
                if (chance(40)) {
                    root.putObject("context").put("ip", "10.9.9.9").putObject("library").put("name", "shared");
                }
                if (chance(20)) {
                    root.putObject("integrations").put("All", false);
                }
                verdict.tooManyEvents = size > MAX_BATCH_EVENTS;
                request.shape("batch of " + size);
            } else {
                root = event(call);
                events.add(root);
                if (chance(30)) {
                    root.remove("type");
                }
                request.shape(call);
            }
            request.events = events.size();
            trackingAuth(request, verdict);
            int shapes = random.nextInt(100);
            if (shapes < 22) {
                request.shape("valid");
            } else if (shapes < 75) {
                int at = random.nextInt(events.size());
                mutate(doc, events.get(at), verdict, request, batch ? null : call, true, batch ? 3 : 1, batch ? at : null, true);
            } else if (shapes < 84 && batch) {
                // Bad elements at random indexes: the first of them is named, and nothing is stored.
                ArrayNode array = (ArrayNode) root.get("batch");
                int first = Integer.MAX_VALUE;
                int bad = 1 + random.nextInt(3);
                for (int i = 0; i < bad; i++) {
                    int at = random.nextInt(array.size());
                    array.set(at, pick(List.of(NODES.nullNode(), NODES.numberNode(1), NODES.textNode(unique("s")), NODES.arrayNode(),
                            NODES.booleanNode(true), NODES.objectNode(), NODES.objectNode().put("type", "track").put("userId", unique("u")),
                            NODES.objectNode().put("type", "purchase").put("userId", unique("u")))));
                    first = Math.min(first, at);
                }
                request.shape(bad + " bad element(s), the first at " + first);
                verdict.refuse("batch[" + first + "]", first);
            } else if (shapes < 88) {
                root.put("writeKey", WRITE_KEY);
                request.shape("writeKey in the body");
                if (verdict.auth == Auth.MISSING) {
                    verdict.auth = Auth.VALID;
                }
            } else {
                request.body = doc.render(root);
                bodyShape(request, verdict, doc);
            }
            if (!verdict.shaped) {
                request.body = doc.render(root);
            }
            contentType(request, verdict, false);
            verdict.apply(request);
            return request;
        }

        // ---- /webhooks/segment ------------------------------------------------------------------------------------

        Request segmentWebhook() {
            Request request = new Request(index);
            request.path = "/webhooks/segment";
            request.storedVia = SEGMENT_WEBHOOK;
            Verdict verdict = new Verdict(Endpoint.SEGMENT_WEBHOOK);
            Doc doc = new Doc();
            boolean array = chance(40);
            int size = array ? (perMille(3) ? 4000 : 1 + random.nextInt(8)) : 1;
            List<ObjectNode> events = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                String type = chance(5) ? "delete" : pick(CALLS);
                events.add(size > 100 ? small(type) : event(type));
            }
            request.events = size;
            request.shape(array ? "array of " + size : events.get(0).path("type").asText());
            JsonNode root = array ? NODES.arrayNode().addAll(events) : events.get(0);
            int shapes = random.nextInt(100);
            if (shapes < 25) {
                request.shape("valid");
            } else if (shapes < 86) {
                int at = random.nextInt(size);
                // An erasure is never changed: its identifiers must stay its own.
                if (!"delete".equals(events.get(at).path("type").asText())) {
                    mutate(doc, events.get(at), verdict, request, null, true, array ? 2 : 1, array ? at : null, at == 0);
                }
            } else {
                request.body = doc.render(root);
                bodyShape(request, verdict, doc);
            }
            if (!verdict.shaped) {
                request.body = doc.render(root);
            }
            // Signed over the body; an array over its first element as it sits in the body, as Segment signs.
            int signing = random.nextInt(100);
            byte[] signed = firstElementOrBody(request.body);
            if (signing < 88) {
                request.header("X-Signature", chance(90) ? hmac(signed) : hmac(signed).toUpperCase(Locale.ROOT));
            } else if (signing < 93) {
                verdict.auth = Auth.MISSING;
                request.shape("unsigned");
            } else {
                String header = pick(hmac("x".getBytes(StandardCharsets.UTF_8)), " ", "zz", "g".repeat(40), "a".repeat(5000),
                        hmac(signed) + "00", "sha1=" + hmac(signed), "\u00e9\u00e8", hmac(request.body).equals(hmac(signed)) ? "00" : hmac(request.body));
                request.header("X-Signature", header);
                verdict.auth = Auth.WRONG;
                request.shape("X-Signature '" + abbreviate(header, 20) + "'");
            }
            contentType(request, verdict, false);
            verdict.apply(request);
            return request;
        }

        /** The bytes Segment signs: a JSON array's first element exactly as it sits in the body, else the whole body. */
        static byte[] firstElementOrBody(byte[] body) {
            int start = 0;
            while (start < body.length && Character.isWhitespace(body[start])) {
                start++;
            }
            if (start >= body.length || body[start] != '[') {
                return body;
            }
            try (JsonParser parser = LENIENT.createParser(body)) {
                parser.nextToken();
                if (parser.nextToken() == null) {
                    return body;
                }
                int from = (int) parser.currentTokenLocation().getByteOffset();
                parser.skipChildren();
                int to = (int) parser.currentLocation().getByteOffset();
                return Arrays.copyOfRange(body, from, to);
            } catch (IOException | RuntimeException malformed) {
                return body;
            }
        }

        static String hmac(byte[] body) {
            try {
                Mac mac = Mac.getInstance("HmacSHA1");
                mac.init(new SecretKeySpec(SEGMENT_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
                return HexFormat.of().formatHex(mac.doFinal(body));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        // ---- /webhooks/iterable -----------------------------------------------------------------------------------

        Request iterable() {
            Request request = new Request(index);
            request.path = "/webhooks/iterable";
            Verdict verdict = new Verdict(Endpoint.ITERABLE);
            Doc doc = new Doc();
            ObjectNode webhook = NODES.objectNode();
            String eventName = pick(ITERABLE_EVENTS);
            webhook.put("email", email());
            webhook.put("eventName", eventName);
            if (chance(30)) {
                webhook.put("userId", unique("it-user"));
            }
            ObjectNode data = webhook.putObject("dataFields");
            data.put("messageId", unique("itm")).put("createdAt", "2026-11-22 10:00:00 +00:00").put("campaignId", 59667)
                    .put("templateId", 93849).put("emailSubject", "Deals").put("email", webhook.get("email").asText());
            switch (eventName) {
                case "emailClick" -> data.put("url", "https://example.com/x").put("linkId", unique("l"));
                case "emailBounce" -> data.put("recipientState", "HardBounce");
                case "emailUnSubscribe" -> {
                    data.putArray("emailListIds").add(1).add(2);
                    data.putArray("channelIds").add(3);
                }
                default -> {
                    // the common fields
                }
            }
            request.shape("iterable " + eventName);
            if (chance(8)) {
                // A webhook without a readable time is taken as happening when it arrives.
                String createdAt = pick("99999-01-01 00:00:00 +00:00", "+999999999-12-31 23:59:59 +00:00", "0000-01-01 00:00:00 +00:00",
                        "0000-01-01 00:00:00 +18:00", "-0001-01-01 00:00:00 +00:00", "2026-11-22 10:00:00 +19:00",
                        "2026-13-01 00:00:00 +00:00", "9999-12-31 23:59:59 -18:00", "junk", "2026-11-22T10:00:00Z");
                data.put("createdAt", createdAt);
                request.shape("createdAt " + createdAt);
            }
            int auth = random.nextInt(100);
            if (auth < 70) {
                request.header("Authorization", "Bearer " + ITERABLE_TOKEN);
            } else if (auth < 85) {
                request.header("Authorization", basic(unique("any"), ITERABLE_TOKEN));
            } else if (auth < 90) {
                verdict.auth = Auth.MISSING;
                request.shape("no token");
            } else {
                String header = pick("Bearer " + unique("t"), "Bearer", "Bearer ", "Basic !!!", "Basic " + ITERABLE_TOKEN,
                        basic(ITERABLE_TOKEN, ""), "Token " + ITERABLE_TOKEN, "Bearer " + ITERABLE_TOKEN + "x",
                        "Bearer " + "t".repeat(7000), "Bearer \u00e9");
                request.header("Authorization", header);
                verdict.auth = Auth.WRONG;
                request.shape("Authorization '" + abbreviate(header, 30) + "'");
            }
            int what = random.nextInt(100);
            if (what < 25) {
                request.shape("valid");
            } else if (what < 60) {
                // The webhook's own fields set to every JSON type: email and eventName must be strings, dataFields an object.
                String[] path = chance(60) ? new String[] {pick("email", "eventName", "userId", "dataFields", unique("x"))}
                        : new String[] {"dataFields", pick("createdAt", "messageId", "url", "emailListIds", "campaignId", unique("x"))};
                Kind kind = pick(List.of(Kind.values()));
                set(webhook, path, kind == Kind.ABSENT ? null : value(kind));
                request.shape(String.join(".", path) + "=" + kind);
                boolean refused = switch (path[0]) {
                    case "email", "eventName" -> path.length == 1 && kind != Kind.STRING;
                    case "dataFields" -> path.length == 1 && !(kind == Kind.ABSENT || kind == Kind.NULL || kind == Kind.OBJECT);
                    default -> false;
                };
                if (refused) {
                    verdict.refuse(path[0], null);
                }
            } else if (what < 67) {
                int length = pick(100, MAX_IDENTIFIER, MAX_IDENTIFIER + 1, 600, 5000);
                String field = pick("email", "userId");
                webhook.put(field, uniqueOfLength("long", length, "@example.com"));
                request.shape(field + " of " + length + " characters");
                // The email is read from every webhook; the userId only from those that become events.
                if (length > MAX_IDENTIFIER && (field.equals("email") || ITERABLE_KEPT.contains(eventName))) {
                    verdict.refuse(field, null);
                }
            } else if (what < 74) {
                // One large field: an event made from a webhook may be as large as any other event, and no larger.
                int length = pick(1000, 30_000, 33_000, 200_000, 2_000_000);
                data.put("emailSubject", "s".repeat(length));
                request.shape("dataFields.emailSubject of " + length + " characters");
                if (length > 30_000 && ITERABLE_KEPT.contains(eventName)) {
                    verdict.eventTooLarge = true;
                }
            } else if (what < 88) {
                // Inside dataFields anything goes, but the parser's limits hold.
                mutate(doc, data, verdict, request, null, false, 2, null, true);
            } else {
                request.body = doc.render(webhook);
                bodyShape(request, verdict, doc);
            }
            if (!verdict.shaped) {
                request.body = doc.render(webhook);
            }
            contentType(request, verdict, true);
            verdict.apply(request);
            return request;
        }

        // ---- /webhooks/sailthru -----------------------------------------------------------------------------------

        Request sailthru() {
            Request request = new Request(index);
            request.path = "/webhooks/sailthru";
            // Vert.x decodes the form before the route sees it, and answers a form it cannot decode itself.
            request.serverAnswers.add(400);
            Map<String, List<String>> params = new LinkedHashMap<>();
            String action = pick("optout", "optout", "hardbounce", "update", "update", "verify");
            put(params, "action", action);
            put(params, "email", email());
            switch (action) {
                case "optout" -> {
                    put(params, "optout", pick("1", "0"));
                    put(params, "mode", "all");
                    put(params, "list", "Newsletter");
                    put(params, "blast_id", "" + random.nextInt(99_999));
                }
                case "hardbounce" -> {
                    put(params, "send_id", unique("send"));
                    put(params, "blast_id", "" + random.nextInt(99_999));
                }
                case "update" -> {
                    put(params, "vars[plan]", pick("gold", "free"));
                    put(params, "vars[address][city]", "Köln");
                    put(params, "lists[]", "Newsletter");
                    put(params, "lists[]", "Offers");
                    put(params, "optout_email", "none");
                }
                default -> put(params, "send_id", unique("send"));
            }
            put(params, "api_key", SAILTHRU_KEY);
            request.shape("sailthru " + action);
            boolean update = "update".equals(action);
            Integer status = 200;
            String mentions = null;
            boolean sign = true;
            String body = null;
            int what = random.nextInt(100);
            if (what < 28) {
                request.shape("valid");
            } else if (what < 35) {
                String name = pick("action", "email");
                params.remove(name);
                status = 400;
                mentions = name;
                request.shape("no " + name);
            } else if (what < 40) {
                params.put("action", new ArrayList<>(List.of(unique("act"))));
                status = 400;
                mentions = "action";
                request.shape("unknown action");
            } else if (what < 44 && "optout".equals(action)) {
                String optout = pick("2", "yes", "", " ", "true", unique("o"));
                params.put("optout", new ArrayList<>(List.of(optout)));
                status = 400;
                mentions = "optout";
                request.shape("optout='" + optout + "'");
            } else if (what < 52) {
                // Values up to and past Vert.x's own limit on one form field (8 KiB), the email included.
                String name = pick("email", "vars[note]", "blast_id", unique("param"));
                int length = pick(100, MAX_IDENTIFIER + 1, 600, 4000, 8000, 8192, 8193, 20_000, 100_000, 600_000);
                String value = "email".equals(name) ? uniqueOfLength("long", length, "@example.com") : "v".repeat(length);
                params.put(name, new ArrayList<>(List.of(value)));
                request.shape(name + " of " + length + " characters");
                if ("email".equals(name)) {
                    status = length <= MAX_IDENTIFIER ? (Integer) 200 : length <= 4000 ? (Integer) 400 : null;
                    mentions = "email";
                } else {
                    status = length <= 4000 ? (Integer) 200 : null;
                }
            } else if (what < 58) {
                // Many parameters (Vert.x itself refuses forms of very many fields).
                int count = pick(20, 200, 250, 257, 1000, 5000);
                for (int i = 0; i < count; i++) {
                    put(params, "vars[f" + i + "]", "v" + i);
                }
                request.shape(count + " more parameters");
                status = count <= 200 ? (Integer) 200 : null;
            } else if (what < 66) {
                // Bracketed names nested deeper than any event may be (event, traits, vars, then one per bracket).
                int levels = pick(3, 30, 60, 61, 62, 63, 64, 100, 1000, 2000, 10_000);
                put(params, "vars" + "[a]".repeat(levels), "deep");
                request.shape("vars nested " + levels + " levels by name");
                // Containers: the event, its traits, vars, then one object per bracket but the last.
                int depth = 2 + levels;
                if (3 * levels > 4000) {
                    // The name alone nears Vert.x's own limit on a form field.
                    status = null;
                } else if (!update || depth < MAX_DEPTH) {
                    status = 200;
                } else if (depth > MAX_DEPTH + 1) {
                    status = 400;
                    mentions = "nest";
                } else {
                    status = null;
                }
            } else if (what < 74) {
                // Values in JSON: kept as objects when they are JSON within the intake's limits, as text otherwise.
                String json = pick("{\"n\":1e400}", "{\"a\":1,\"a\":2}", "[".repeat(100) + "]".repeat(100),
                        "{\"a\":" + "[".repeat(70) + "]".repeat(70) + "}", "{\"s\":\"\\ud800\"}", "{\"n\":" + "9".repeat(200) + "}",
                        "{\"broken\":", "[1,2,3]", "{\"n\":NaN}", "{}", "{\"tier\":2,\"tags\":[\"a\"]}");
                put(params, "vars", json);
                request.shape("vars=" + abbreviate(json, 30));
            } else if (what < 80) {
                String name = pick("", "[", "]", "[]", "a[", "a]b", "vars[]", "vars[][x]", "lists[][]", "vars[x][]", "\u0000",
                        "ü", "vars[\u00e9]", "vars[a]]", "vars[[a]", "lists[x]");
                put(params, name, unique("v"));
                request.shape("parameter named '" + name + "'");
                status = update ? null : (Integer) 200;
            } else if (what < 84) {
                sign = false;
                request.shape("unsigned");
                status = 403;
                mentions = "sig";
            } else if (what < 88) {
                params.put("sig", new ArrayList<>(List.of(pick("0".repeat(32), "", unique("sig"), "Z".repeat(5000)))));
                sign = false;
                request.shape("wrong sig");
                status = 403;
                mentions = "sig";
            } else if (what < 92) {
                params.put("api_key", new ArrayList<>(List.of(unique("key"))));
                request.shape("another api_key");
                status = 403;
                mentions = "api_key";
            } else if (what < 96) {
                body = pick("a=%zz", "%", "a=%f", "email=%ff%fe&action=update", "a=%00", "&&&", "=", "a==b;c", "+++",
                        "a=1&a=2&a", "vars[=x", "email=a%40b.c&sig=" + "0".repeat(32));
                request.shape("form '" + body + "'");
                status = null;
            } else {
                body = "";
                request.shape("empty form");
                status = 403;
                mentions = "sig";
            }
            if (body == null) {
                if (sign) {
                    List<String> values = new ArrayList<>();
                    params.forEach((name, list) -> {
                        if (!"sig".equals(name)) {
                            values.addAll(list);
                        }
                    });
                    params.put("sig", new ArrayList<>(List.of(md5Sig(values))));
                }
                body = form(params);
            }
            request.body = body.getBytes(StandardCharsets.UTF_8);
            if (request.body.length > MAX_WEBHOOK_BYTES) {
                status = 413;
                request.mayDropConnection = request.body.length > SERVER_MAX_BODY;
                request.serverAnswers.add(413);
            }
            String type = "application/x-www-form-urlencoded";
            if (chance(10)) {
                type = pick("application/json", "text/plain", "application/xml", "none", "multipart/form-data; boundary=b",
                        "application/x-www-form-urlencoded; charset=UTF-8", "APPLICATION/X-WWW-FORM-URLENCODED", "garbage");
                request.shape("Content-Type '" + type + "'");
                if (!type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded") && request.body.length <= MAX_WEBHOOK_BYTES) {
                    status = 415;
                    mentions = "Content-Type";
                }
            }
            if (!"none".equals(type)) {
                request.header("Content-Type", type);
            }
            request.expected = status;
            request.mentions = status != null && status >= 400 ? mentions : null;
            return request;
        }

        static void put(Map<String, List<String>> params, String name, String value) {
            params.computeIfAbsent(name, any -> new ArrayList<>()).add(value);
        }

        static String form(Map<String, List<String>> params) {
            StringBuilder form = new StringBuilder();
            params.forEach((name, values) -> values.forEach(value -> form.append(form.length() == 0 ? "" : "&")
                    .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8))));
            return form.toString();
        }

        /** Sailthru's sig: md5-hex of the secret followed by every other value, sorted as strings. */
        static String md5Sig(List<String> values) {
            List<String> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
                        .digest((SAILTHRU_SECRET + String.join("", sorted)).getBytes(StandardCharsets.UTF_8)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        // ---- /admin/* -------------------------------------------------------------------------------------------

        Request admin() {
            Request request = new Request(index);
            request.contract = Contract.ADMIN;
            Integer status = 200;
            String mentions = null;
            StringBuilder query = new StringBuilder();
            int what = random.nextInt(9);
            switch (what) {
                case 0, 1 -> {
                    request.method = "GET";
                    request.path = what == 0 ? "/admin/dead-letters" : "/admin/dry-run";
                    if (chance(50)) {
                        String limit = pick("1", "1000", "0", "-1", "1001", "abc", "1e3", "99999999999999999999", "%205", "", "%00", "%ff");
                        query.append("&limit=").append(limit);
                        boolean fine = limit.matches("\\d{1,4}") && Integer.parseInt(limit) >= 1 && Integer.parseInt(limit) <= 1000;
                        status = fine ? 200 : 400;
                        mentions = fine ? null : "limit";
                        request.shape("limit=" + limit);
                    }
                    if (chance(50)) {
                        String destination = pick("iterable", "emarsys", "segment", unique("nowhere"), "%27%3B%20DROP%20TABLE%20x",
                                "%C3%BC", "d".repeat(3000));
                        query.append("&destination=").append(destination);
                        request.shape("destination=" + abbreviate(destination, 20));
                    }
                }
                case 2 -> {
                    // Replaying every destination's dead letters could send events on again: name one that has none.
                    request.path = "/admin/dead-letters/replay";
                    query.append("&destination=").append(pick("segment", "emarsys", unique("nowhere"), "%C3%BC"));
                    request.shape("replay all");
                }
                case 3, 4 -> {
                    String id = pick(UUID.randomUUID().toString(), "x", "i".repeat(3000), "%C3%A9", "a%20b", "-1", "'%20OR%201=1",
                            "%2F", "..", "%2e%2e", "%00");
                    request.method = what == 3 ? "POST" : "DELETE";
                    request.path = "/admin/dead-letters/" + id + (what == 3 ? "/replay" : "");
                    status = 404;
                    mentions = "no dead letter";
                    if (id.contains("%2") || id.equals("..") || id.equals("%00")) {
                        // Paths Vert.x may normalize to another route, or to none.
                        status = null;
                        request.serverAnswers.addAll(List.of(400, 404, 405));
                        request.contract = Contract.EITHER;
                    }
                    request.shape("dead letter '" + abbreviate(id, 20) + "'");
                }
                case 5 -> {
                    request.method = "GET";
                    request.path = "/admin/privacy/audit";
                    String param = pick("request", "email", "userId", "limit", "other");
                    String value = pick(unique("r"), "", "x".repeat(3000), "%C3%A9", "5");
                    query.append('&').append(param).append('=').append(value);
                    request.shape("audit by " + param);
                    status = null;
                }
                case 6 -> {
                    request.method = "GET";
                    request.path = "/admin/privacy/consent";
                    String email = pick(email(), "", "%20", "x".repeat(3000), "a@b", null);
                    if (email != null) {
                        query.append("&email=").append(email);
                    }
                    boolean blank = email == null || email.isEmpty() || "%20".equals(email);
                    status = blank ? 400 : 404;
                    mentions = blank ? "email" : "no consent record";
                    request.shape("consent of '" + abbreviate(email, 20) + "'");
                }
                default -> {
                    boolean erase = what == 7;
                    request.path = erase ? "/admin/privacy/delete" : "/admin/privacy/consent";
                    ObjectNode body = NODES.objectNode();
                    if (erase && chance(50)) {
                        body.put("userId", unique("erase-user"));
                    } else {
                        body.put("email", email());
                    }
                    if (!erase) {
                        body.put("state", pick("unsubscribed", "subscribed"));
                    }
                    status = 202;
                    String raw = null;
                    int how = random.nextInt(100);
                    if (how < 30) {
                        request.shape(erase ? "erase" : "consent change");
                    } else if (how < 60) {
                        String field = erase ? pick("userId", "email") : pick("email", "state");
                        Kind kind = pick(List.of(Kind.values()));
                        set(body, new String[] {field}, kind == Kind.ABSENT ? null : value(kind));
                        request.shape(field + "=" + kind);
                        boolean missing = kind == Kind.ABSENT || kind == Kind.NULL;
                        if (erase) {
                            String other = "userId".equals(field) ? "email" : "userId";
                            boolean fine = missing ? body.hasNonNull(other) : kind == Kind.STRING && "userId".equals(field);
                            status = fine ? 202 : 400;
                            mentions = fine ? null : missing ? "userId or email" : field;
                        } else {
                            status = 400;
                            mentions = field;
                        }
                    } else if (how < 70) {
                        String field = erase && body.has("userId") ? "userId" : "email";
                        int length = pick(MAX_IDENTIFIER, MAX_IDENTIFIER + 1, 600, 5000);
                        body.put(field, uniqueOfLength("long", length, "@example.com"));
                        request.shape(field + " of " + length + " characters");
                        status = length > MAX_IDENTIFIER ? 400 : 202;
                        mentions = status == 400 ? field : null;
                    } else if (how < 80) {
                        String email = pick("no-at-sign", "@example.com", "x@", " ", unique("a") + "@b");
                        body.remove("userId");
                        body.put("email", email);
                        request.shape("email '" + email + "'");
                        status = email.endsWith("@b") ? 202 : 400;
                        mentions = status == 400 ? "email" : null;
                    } else {
                        raw = pick("", "[]", "1", "null", "\"x\"", "{", "{\"userId\":", "[".repeat(2000),
                                "{\"a\":".repeat(2000) + "1" + "}".repeat(2000), "{\"userId\":1e400}",
                                "{\"email\":\"" + unique("sur") + "\\ud800@x.y\",\"state\":\"subscribed\",\"userId\":\"" + unique("sur") + "\"}",
                                "{\"userId\":\"" + unique("a") + "\",\"userId\":\"" + unique("b") + "\",\"email\":\"x@y.z\",\"state\":\"subscribed\"}");
                        request.shape("body '" + abbreviate(raw, 20) + "'");
                        status = raw.contains("\"state\"") ? null : (Integer) 400;
                        mentions = null;
                    }
                    request.body = (raw != null ? raw : body.toString()).getBytes(StandardCharsets.UTF_8);
                    request.header("Content-Type", "application/json");
                }
            }
            if (query.length() > 0) {
                request.path += "?" + query.substring(1);
            }
            if (request.path.contains("%00") || request.path.contains("%ff")) {
                status = null;
                request.serverAnswers.add(400);
            }
            if (chance(82)) {
                request.header("Authorization", pick("Bearer " + ADMIN_TOKEN, "bearer " + ADMIN_TOKEN, "Bearer  " + ADMIN_TOKEN + " "));
            } else {
                String header = pick("", "Bearer", "Bearer " + unique("t"), "Basic " + ADMIN_TOKEN, ADMIN_TOKEN,
                        "Bearer " + "t".repeat(6000), "Bearer \u00e9", "Bearer " + ADMIN_TOKEN + "x");
                if (!header.isEmpty()) {
                    request.header("Authorization", header);
                }
                request.shape("admin Authorization '" + abbreviate(header, 20) + "'");
                if (status != null) {
                    status = 401;
                }
                mentions = null;
            }
            request.expected = status;
            request.mentions = status != null && status >= 400 ? mentions : null;
            request.shape(request.method + " " + request.path.replaceAll("\\?.*", ""));
            return request;
        }

        // ---- methods, paths, the wire ---------------------------------------------------------------------------

        Request wrongMethod() {
            Request request = new Request(index);
            String path = pick("/v1/track", "/v1/batch", "/v1/identify", "/webhooks/segment", "/webhooks/sailthru",
                    "/webhooks/iterable", "/admin/privacy/delete", "/admin/dead-letters/replay", "/admin/dead-letters",
                    "/admin/dry-run", "/admin/privacy/audit");
            boolean postEndpoint = !List.of("/admin/dead-letters", "/admin/dry-run", "/admin/privacy/audit").contains(path);
            request.method = postEndpoint ? pick("GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") : pick("POST", "PUT", "DELETE", "PATCH");
            request.path = path;
            request.contract = path.startsWith("/admin") ? Contract.ADMIN : Contract.INTAKE;
            request.header("Authorization", path.startsWith("/admin") ? "Bearer " + ADMIN_TOKEN : basic(WRITE_KEY, ""));
            if (!List.of("GET", "HEAD", "OPTIONS").contains(request.method) && chance(50)) {
                request.body = ("{\"userId\":\"" + unique("u") + "\",\"event\":\"E\"}").getBytes(StandardCharsets.UTF_8);
                request.header("Content-Type", "application/json");
            }
            request.shape("method " + request.method);
            request.serverAnswers.add(405);
            if (request.method.equals("OPTIONS") || request.method.equals("HEAD")) {
                request.serverAnswers.addAll(List.of(200, 204, 404));
            } else if ("/admin/dead-letters/replay".equals(path) && List.of("GET", "DELETE").contains(request.method)) {
                // GET or DELETE /admin/dead-letters/{id} with the id "replay": there is no such dead letter.
                request.expected = 404;
            } else {
                request.expected = 405;
            }
            return request;
        }

        Request oddPath() {
            Request request = new Request(index);
            String path = pick("/v1/" + unique("call"), "/v1/TRACK", "/v1/Identify", "/v1/delete", "/v1/t", "/v1/i", "/v1/b",
                    "/v1/track/extra", "/v1", "/v1/", "/v2/track", "/webhooks", "/webhooks/segment/x", "/webhooks/" + unique("vendor"),
                    "/admin", "/admin/", "/admin/" + unique("x"), "/admin/privacy", "/", "/v1/%2e%2e/admin/dry-run", "/v1/track%00",
                    "/v1/tr%61ck", "/%76%31/track", "//v1/track", "/v1/track;jsessionid=1", "/v1/track?x=" + "q".repeat(3000),
                    "/v1/" + "t".repeat(9000), "/admin/dead-letters/../dry-run", "/v1/track/../identify", "/v1/track?call=identify",
                    "/v1/identify?type=track");
            request.path = path;
            request.contract = Contract.EITHER;
            request.header("Authorization", basic(WRITE_KEY, "")).header("Content-Type", "application/json");
            request.body = ("{\"userId\":\"" + unique("odd") + "\",\"event\":\"E\",\"messageId\":\"" + unique("om") + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            request.shape("odd path");
            // Vert.x answers paths no route serves (with a page of its own), as it does request lines too long.
            request.serverAnswers.addAll(List.of(400, 404, 405, 414));
            // The body is one event: whatever route takes it, a 200 stores exactly that one.
            request.storedVia = TRACKING;
            request.events = 1;
            String call = path.startsWith("/v1/") ? path.substring(4) : "";
            // analytics.js' one-letter paths are calls too (/v1/b a batch, which this body is not: 400).
            if (call.matches("[A-Za-z0-9-]+") && !CALLS.contains(call) && !List.of("batch", "import", "i", "t", "p", "s", "g", "a", "b").contains(call)) {
                request.expected = 404;
                request.mentions = "unknown endpoint";
            }
            return request;
        }

        /** Requests written byte for byte on a socket: odd headers, chunking, methods and paths HttpClient refuses to send. */
        Request rawWire() {
            Request request = new Request(index);
            String event = "{\"userId\":\"" + unique("raw") + "\",\"event\":\"Raw\",\"messageId\":\"" + unique("rm") + "\"}";
            byte[] body = event.getBytes(StandardCharsets.UTF_8);
            String auth = basic(WRITE_KEY, "");
            String json = "Content-Type: application/json\r\n";
            String head;
            request.path = "/v1/track";
            request.serverAnswers.addAll(List.of(400, 404, 405, 413, 414, 431, 501, 505));
            // One event: whatever takes it, a 200 stores exactly that one.
            request.storedVia = TRACKING;
            request.events = 1;
            switch (random.nextInt(12)) {
                case 0 -> {
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic \u00c3\u00a9\u00c3\u00a9\u00c3\u00a9\r\n" + json
                            + "Content-Length: " + body.length + "\r\n";
                    request.shape("UTF-8 bytes in Authorization").expected = 401;
                }
                case 1 -> {
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\n" + json + "Transfer-Encoding: chunked\r\n";
                    int cut = 1 + random.nextInt(event.length() - 1);
                    body = (Integer.toHexString(cut) + "\r\n" + event.substring(0, cut) + "\r\n" + Integer.toHexString(event.length() - cut)
                            + "\r\n" + event.substring(cut) + "\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8);
                    request.shape("chunked").expected = 200;
                }
                case 2 -> {
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\n" + json
                            + "Content-Length: " + body.length + "\r\nContent-Length: " + (body.length + 5) + "\r\n";
                    request.shape("two Content-Lengths");
                    request.mayDropConnection = true;
                }
                case 3 -> {
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\n" + json + "Content-Length: -5\r\n";
                    request.shape("negative Content-Length");
                    request.mayDropConnection = true;
                }
                case 4 -> {
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\n X-Folded: yes\r\n" + json
                            + "Content-Length: " + body.length + "\r\n";
                    request.shape("obsolete line folding");
                }
                case 5 -> {
                    head = "POST /v1/tr%zzck HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\nContent-Length: " + body.length + "\r\n";
                    request.path = "/v1/tr%zzck";
                    request.shape("bad escape in the path");
                }
                case 6 -> {
                    head = "POST /v1/tr\u00fcck HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\nContent-Length: " + body.length + "\r\n";
                    request.path = "/v1/trück";
                    request.shape("non-ASCII path");
                }
                case 7 -> {
                    head = "FOO /v1/track HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length + "\r\n";
                    request.method = "FOO";
                    request.shape("unknown method");
                }
                case 8 -> {
                    int length = pick(1000, 7000, 9000, 70_000);
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\n" + json
                            + "Content-Length: " + body.length + "\r\nX-Huge: " + "h".repeat(length) + "\r\n";
                    request.shape("header of " + length + " characters");
                    request.mayDropConnection = length > 8000;
                }
                case 9 -> {
                    head = "POST /v1/track HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth + "\r\n" + json
                            + "Content-Length: " + body.length + "\r\nX-Null: a\u0000b\r\n";
                    request.shape("NUL in a header");
                }
                case 10 -> {
                    head = "POST /webhooks/iterable HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + ITERABLE_TOKEN
                            + "\r\nContent-Type: application/json; charset=\u00ff\r\nContent-Length: " + body.length + "\r\n";
                    request.path = "/webhooks/iterable";
                    request.storedVia = null;
                    request.shape("Latin-1 byte in the charset");
                }
                default -> {
                    head = "POST /v1/track HTTP/1.0\r\nAuthorization: " + auth + "\r\n" + json + "Content-Length: " + body.length + "\r\n";
                    request.shape("HTTP/1.0 without Host").expected = 200;
                }
            }
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            raw.writeBytes((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            raw.writeBytes(body);
            request.raw = raw.toByteArray();
            request.body = body;
            return request;
        }
    }

    /** A JSON body under construction: a tree, with raw bytes spliced in where the serializer would not write them. */
    private static final class Doc {
        private final Map<String, byte[]> splices = new LinkedHashMap<>();
        private int next;

        /** A token to set as a value; the rendered body has {@code raw} in its place, quotes included. */
        String raw(String raw) {
            String token = "@@RAW" + (next++) + "@@";
            splices.put("\"" + token + "\"", raw.getBytes(StandardCharsets.UTF_8));
            return token;
        }

        /** A string value: {@code text} followed by these bytes. */
        String bytesInString(String text, byte[] bytes) {
            String token = "@@BAD" + (next++) + "@@";
            splices.put(token, bytes);
            return text + token;
        }

        /** A key whose member becomes {@code key} twice, with two values. */
        String duplicate(String key, String first, String second) {
            String token = "@@DUP" + (next++) + "@@";
            splices.put("\"" + token + "\":0", ("\"" + key + "\":" + first + ",\"" + key + "\":" + second).getBytes(StandardCharsets.UTF_8));
            return token;
        }

        byte[] render(JsonNode root) {
            try {
                byte[] body = JSON.writeValueAsBytes(root);
                for (Map.Entry<String, byte[]> splice : splices.entrySet()) {
                    body = replace(body, splice.getKey().getBytes(StandardCharsets.UTF_8), splice.getValue());
                }
                return body;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        static byte[] replace(byte[] haystack, byte[] needle, byte[] replacement) {
            outer:
            for (int i = 0; i <= haystack.length - needle.length; i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (haystack[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                byte[] result = new byte[haystack.length - needle.length + replacement.length];
                System.arraycopy(haystack, 0, result, 0, i);
                System.arraycopy(replacement, 0, result, i, replacement.length);
                System.arraycopy(haystack, i + needle.length, result, i + replacement.length, haystack.length - i - needle.length);
                return result;
            }
            return haystack;
        }
    }
}
