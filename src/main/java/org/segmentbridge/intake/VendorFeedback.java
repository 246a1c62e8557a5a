package org.segmentbridge.intake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.BridgeSettings;
import org.segmentbridge.identity.IdentityStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an email platform reports back about a recipient (Sailthru's postbacks, Iterable's system webhooks), as
 * Segment events: engagement flows back to Segment; a consent change flows to Segment and to every other platform
 * (see {@link Intake#storeReport}); nothing goes back into the platform it came from.
 */
final class VendorFeedback {

    static final String DESTINATION = "segment";

    private static final Logger LOG = LoggerFactory.getLogger(VendorFeedback.class);

    private final String vendor;
    private final String endpoint;
    private final Intake intake;
    private final boolean segmentIsDestination;
    private final int maxEventBytes;
    private final AtomicBoolean warnedNoSegment = new AtomicBoolean();

    /**
     * @param vendor   the platform as Segment's {@code integrations} object names it, e.g. {@code Sailthru}
     * @param endpoint the intake endpoint label, also the {@code receivedVia} of the stored events
     */
    VendorFeedback(String vendor, String endpoint, BridgeSettings settings, Intake intake) {
        this.vendor = vendor;
        this.endpoint = endpoint;
        this.intake = intake;
        this.segmentIsDestination = settings.destinations().contains(DESTINATION);
        this.maxEventBytes = settings.maxEventBytes();
    }


    /** True when {@code segment} is a destination, so engagement is sent on to Segment. */
    boolean toSegment() {
        return segmentIsDestination;
    }

    /**
     * The person the platform reports about: {@code userId} when the platform knows it, else an anonymous id derived
     * from the email (which the processor replaces with the identity store's user for this email, when it knows one).
     *
     * @param messageIds the event's messageId for each kind of event made from this report ("identify" or the
     *                   track event's name); derived from the report, so a report sent twice is stored once
     */
    Recipient recipient(String email, Optional<String> userId, Instant timestamp, UnaryOperator<String> messageIds) {
        return new Recipient(email, userId, timestamp, messageIds);
    }

    CompletableFuture<Intake.Outcome> store(List<ObjectNode> events, Instant now) {
        for (ObjectNode event : events) {
            // Made from a report rather than parsed, so measured here: the same limits as every event the intake takes.
            EventBodies.requireNestingWithinLimit(event, "the event made from this report");
            SpecValidator.validateAndComplete(event, "", SpecValidator.SPEC_TYPES, now);
            EventBodies.checkEventSize(EventBodies.serializedSize(event), maxEventBytes, "the event made from this report");
        }
        if (!segmentIsDestination && warnedNoSegment.compareAndSet(false, true)) {
            LOG.warn("{} engagement on {} is acknowledged but not kept: '{}' is not in bridge.destinations, so nothing "
                    + "would send it on to Segment (consent changes still reach the other platforms)", vendor, endpoint, DESTINATION);
        }
        return intake.storeReport(events, endpoint, now);
    }

    /** Counts a report acknowledged without any event, e.g. of a kind Segment's spec has no event for. */
    void ignored(String kind) {
        intake.ignored(endpoint, kind);
    }

    final class Recipient {

        private final String email;
        private final Optional<String> userId;
        private final Instant timestamp;
        private final UnaryOperator<String> messageIds;

        private Recipient(String email, Optional<String> userId, Instant timestamp, UnaryOperator<String> messageIds) {
            this.email = email;
            this.userId = userId;
            this.timestamp = timestamp;
            this.messageIds = messageIds;
        }

        ObjectNode traits() {
            return EventBodies.JSON.createObjectNode().put("email", email);
        }

        ObjectNode identify(ObjectNode traits) {
            ObjectNode event = event("identify", "identify");
            event.set("traits", traits);
            return event;
        }

        ObjectNode track(String name, ObjectNode properties) {
            ObjectNode event = event("track", name);
            event.put("event", name);
            event.set("properties", properties);
            return event;
        }

        private ObjectNode event(String type, String kind) {
            ObjectNode event = EventBodies.JSON.createObjectNode().put("type", type).put("messageId", messageIds.apply(kind));
            if (userId.isPresent()) {
                event.put("userId", userId.get());
            } else {
                // The same email always gives the same id, so Segment can stitch this visitor to the person later.
                event.put("anonymousId", "email:" + sha256Hex(email.toLowerCase(Locale.ROOT)));
            }
            ObjectNode context = event.putObject("context");
            context.putObject("traits").put("email", email);
            context.putObject("integration").put("name", vendor.toLowerCase(Locale.ROOT));
            event.putObject("integrations").put("All", true).put(vendor, false);
            event.put("timestamp", timestamp.toString());
            return event;
        }
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
