package org.segmentbridge.intake;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Checks one event against the Segment Spec and completes what Segment itself would fill in (messageId,
 * receivedAt, timestamp). Every error names the field as a path into the request body, so a client can find it in
 * a batch of 2,500.
 */
final class SpecValidator {

    static final Set<String> SPEC_TYPES = Set.of("identify", "track", "page", "screen", "group", "alias");
    static final Set<String> WEBHOOK_TYPES = Set.of("identify", "track", "page", "screen", "group", "alias", "delete");

    static final int MAX_MESSAGE_ID_LENGTH = 100;
    /** The years a timestamp may name: those RFC 3339 (and so every vendor's date format) can write. */
    private static final int MIN_YEAR = 0;
    private static final int MAX_YEAR = 9999;

    private static final Map<String, String> REQUIRED_BY_TYPE = Map.of(
            "track", "event",
            "group", "groupId",
            "alias", "previousId");
    private static final String[] TIMESTAMP_FIELDS = {"timestamp", "originalTimestamp", "sentAt", "receivedAt"};
    private static final String[] OBJECT_FIELDS = {"context", "integrations", "properties", "traits"};

    private SpecValidator() {
    }

    /**
     * @param path        how the body names this event, e.g. "" for a single event or "batch[3]." in a batch
     * @param allowedTypes the types this endpoint takes
     * @param receivedAt  when the request arrived; fills {@code receivedAt} if the event has none
     */
    static void validateAndComplete(ObjectNode event, String path, Set<String> allowedTypes, Instant receivedAt) {
        String type = requiredText(event, path, "type");
        if (!allowedTypes.contains(type)) {
            throw new IntakeRejected(Reason.INVALID, path + "type",
                    path + "type '" + type + "' is not one of " + String.join(", ", allowedTypes.stream().sorted().toList()));
        }
        if ("delete".equals(type)) {
            requiredText(event, path, "userId");
        } else if (!hasIdentifier(event, "userId") && !hasIdentifier(event, "anonymousId")) {
            throw new IntakeRejected(Reason.INVALID, path + "userId",
                    path + "userId or " + path + "anonymousId is required (a non-empty string)");
        }
        normalizeIdentifier(event, path, "userId");
        normalizeIdentifier(event, path, "anonymousId");
        String required = REQUIRED_BY_TYPE.get(type);
        if (required != null) {
            requiredText(event, path, required);
        }
        for (String field : OBJECT_FIELDS) {
            JsonNode value = event.get(field);
            if (value != null && !value.isNull() && !value.isObject()) {
                throw new IntakeRejected(Reason.INVALID, path + field, path + field + " must be a JSON object, got " + kind(value));
            }
        }
        // The intake stamps receivedAt itself: that text needs no parsing (a third of a single event's validation).
        String stamped = stamp(receivedAt);
        for (String field : TIMESTAMP_FIELDS) {
            if (!stamped.equals(event.path(field).asText(null))) {
                checkTimestamp(event, path, field);
            }
        }
        completeMessageId(event, path);
        if (!event.hasNonNull("receivedAt")) {
            event.put("receivedAt", stamped);
        }
        completeTimestamp(event, receivedAt, stamped);
    }

    /**
     * Generated messageIds: this process's random half, drawn once, beside a counter. Unique within the process by
     * the counter and across processes by 60 random bits; a {@code UUID.randomUUID()} per event made every request
     * thread queue on one SecureRandom.
     */
    private static final long PROCESS_HALF = new java.security.SecureRandom().nextLong() & ~0xF000L | 0x4000L;
    private static final java.util.concurrent.atomic.AtomicLong COUNTER_HALF =
            new java.util.concurrent.atomic.AtomicLong(new java.security.SecureRandom().nextLong());

    /** A version-4-shaped UUID, as Segment's libraries write messageIds. */
    static UUID nextMessageId() {
        return new UUID(PROCESS_HALF, COUNTER_HALF.getAndIncrement() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L);
    }

    private static void completeMessageId(ObjectNode event, String path) {
        JsonNode messageId = event.get("messageId");
        if (messageId == null || messageId.isNull() || (messageId.isTextual() && messageId.asText().isBlank())) {
            event.put("messageId", "bridge-" + nextMessageId());
            return;
        }
        if (!messageId.isTextual()) {
            throw new IntakeRejected(Reason.INVALID, path + "messageId", path + "messageId must be a string, got " + kind(messageId));
        }
        if (messageId.asText().length() > MAX_MESSAGE_ID_LENGTH) {
            throw new IntakeRejected(Reason.INVALID, path + "messageId", path + "messageId is "
                    + messageId.asText().length() + " characters long; the limit is " + MAX_MESSAGE_ID_LENGTH);
        }
        // The dedupe ledger keeps it as text, and PostgreSQL's text cannot hold NUL: a 503 no retry could cure.
        if (messageId.asText().indexOf('\u0000') >= 0) {
            throw new IntakeRejected(Reason.INVALID, path + "messageId", path + "messageId contains a NUL character (\\u0000)");
        }
    }

    /** The last receivedAt written, shared by the events of one request: written once instead of once per event. */
    private static volatile Stamp lastStamp = new Stamp(Instant.EPOCH, Instant.EPOCH.toString());

    private record Stamp(Instant at, String text) {
    }

    static String stamp(Instant receivedAt) {
        Stamp last = lastStamp;
        if (!last.at().equals(receivedAt)) {
            last = new Stamp(receivedAt, receivedAt.toString());
            lastStamp = last;
        }
        return last.text();
    }

    /** Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp). */
    private static void completeTimestamp(ObjectNode event, Instant receivedAt, String stamped) {
        if (event.hasNonNull("timestamp")) {
            return;
        }
        String receivedText = event.get("receivedAt").asText();
        Instant received = stamped.equals(receivedText) ? receivedAt : Instant.from(parse(receivedText));
        if (event.hasNonNull("originalTimestamp") && event.hasNonNull("sentAt")) {
            Instant original = Instant.from(parse(event.get("originalTimestamp").asText()));
            Instant sent = Instant.from(parse(event.get("sentAt").asText()));
            event.put("timestamp", received.minusMillis(sent.toEpochMilli() - original.toEpochMilli()).toString());
        } else if (event.hasNonNull("originalTimestamp")) {
            event.set("timestamp", event.get("originalTimestamp"));
        } else {
            event.put("timestamp", received.toString());
        }
    }

    private static void checkTimestamp(ObjectNode event, String path, String field) {
        JsonNode value = event.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isTextual()) {
            throw new IntakeRejected(Reason.INVALID, path + field,
                    path + field + " must be an ISO-8601 date-time string, got " + kind(value));
        }
        if (isPlainTimestamp(value.asText())) {
            return;
        }
        OffsetDateTime time;
        try {
            time = OffsetDateTime.parse(value.asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        } catch (java.time.DateTimeException e) {
            throw new IntakeRejected(Reason.INVALID, path + field, path + field
                    + " must be an ISO-8601 date-time with a time zone (e.g. 2026-11-22T10:15:30.000Z), got '"
                    + abbreviate(value.asText()) + "'");
        }
        // ISO-8601 also writes years of up to nine digits and before year 0; no date a vendor takes does (RFC 3339
        // stops at 9999), and the clock-skew correction's arithmetic stays within range only for these.
        if (time.getYear() < MIN_YEAR || time.getYear() > MAX_YEAR) {
            throw new IntakeRejected(Reason.INVALID, path + field, path + field + " must be a date-time between the years 0000 and 9999, got '"
                    + abbreviate(value.asText()) + "'");
        }
    }

    /**
     * Whether the text has the shape that senders nearly always write (2026-11-22T10:15:30.123Z, or with an offset such
     * as +01:00) and names a date and time that exist: what {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME} accepts
     * then, without its parse, which took a sixth of the intake's request threads and much of their garbage. Whatever
     * this does not accept goes to that parse, which decides and names the problem.
     */
    static boolean isPlainTimestamp(String text) {
        int length = text.length();
        if (length < 20 || !digitsAt(text, 0, 4) || text.charAt(4) != '-' || !digitsAt(text, 5, 2) || text.charAt(7) != '-'
                || !digitsAt(text, 8, 2) || text.charAt(10) != 'T' || !digitsAt(text, 11, 2) || text.charAt(13) != ':'
                || !digitsAt(text, 14, 2) || text.charAt(16) != ':' || !digitsAt(text, 17, 2)) {
            return false;
        }
        int at = 19;
        if (text.charAt(at) == '.') {
            int fraction = ++at;
            while (at < length && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                at++;
            }
            if (at == fraction || at - fraction > 9) {
                return false;
            }
        }
        if (length - at == 6) {
            char sign = text.charAt(at);
            if ((sign != '+' && sign != '-') || !digitsAt(text, at + 1, 2) || text.charAt(at + 3) != ':' || !digitsAt(text, at + 4, 2)) {
                return false;
            }
            int offsetHours = number(text, at + 1, 2);
            int offsetMinutes = number(text, at + 4, 2);
            if (offsetMinutes > 59 || offsetHours > 18 || (offsetHours == 18 && offsetMinutes > 0)) {
                return false;
            }
        } else if (length - at != 1 || text.charAt(at) != 'Z') {
            return false;
        }
        int year = number(text, 0, 4);
        int month = number(text, 5, 2);
        int day = number(text, 8, 2);
        return month >= 1 && month <= 12 && day >= 1 && day <= java.time.Month.of(month).length(java.time.Year.isLeap(year))
                && number(text, 11, 2) <= 23 && number(text, 14, 2) <= 59 && number(text, 17, 2) <= 59;
    }

    private static boolean digitsAt(String text, int from, int count) {
        for (int index = from; index < from + count; index++) {
            char c = text.charAt(index);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int number(String text, int from, int count) {
        int value = 0;
        for (int index = from; index < from + count; index++) {
            value = value * 10 + (text.charAt(index) - '0');
        }
        return value;
    }

    private static TemporalAccessor parse(String text) {
        return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    private static boolean hasIdentifier(ObjectNode event, String field) {
        JsonNode value = event.get(field);
        return value != null && ((value.isTextual() && !value.asText().isBlank()) || value.isIntegralNumber());
    }

    /** Numeric ids (some SDKs send them) are stored as strings so every consumer sees one type. */
    private static void normalizeIdentifier(ObjectNode event, String path, String field) {
        JsonNode value = event.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        if (value.isIntegralNumber()) {
            event.set(field, TextNode.valueOf(value.asText()));
        } else if (!value.isTextual()) {
            throw new IntakeRejected(Reason.INVALID, path + field, path + field + " must be a string, got " + kind(value));
        }
    }

    private static String requiredText(ObjectNode event, String path, String field) {
        JsonNode value = event.get(field);
        if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
            String forType = event.hasNonNull("type") && !"type".equals(field) ? " for " + event.get("type").asText() + " events" : "";
            throw new IntakeRejected(Reason.INVALID, path + field, path + field + " is required" + forType);
        }
        if (value.isIntegralNumber() && !"type".equals(field) && !"event".equals(field)) {
            event.set(field, TextNode.valueOf(value.asText()));
            return value.asText();
        }
        if (!value.isTextual()) {
            throw new IntakeRejected(Reason.INVALID, path + field, path + field + " must be a string, got " + kind(value));
        }
        return value.asText();
    }

    static String kind(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            case NULL -> "null";
            default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
