package org.segmentbridge.iterable;

import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.SettingsReader;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.intake.EventBodies;
import org.segmentbridge.intake.Intake;
import org.segmentbridge.intake.IntakeRejected;
import org.segmentbridge.intake.IntakeRejected.Reason;
import org.segmentbridge.intake.VendorIntake;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.intake.WebhookToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Iterable's system webhooks to {@code /webhooks/iterable} (one JSON object per POST, authenticated with a static
 * token): email engagement and subscription changes become the events of Segment's Email spec, stored for the
 * {@code segment} destination only. Other webhook types (in-app, SMS, push, send skips, ...) are acknowledged and
 * counted, not kept: Segment's spec has no event for them.
 */
final class IterableWebhook {

    static final String PATH = "/webhooks/iterable";
    static final String ENDPOINT = "iterable-webhook";
    /** The token Iterable's system webhooks present. */
    static final String TOKEN_SETTING = "bridge.iterable.webhook-token";

    private static final Logger LOG = LoggerFactory.getLogger(IterableWebhook.class);
    /** Iterable's webhook eventName → the Segment Email spec event it is. */
    private static final Map<String, String> SEGMENT_EVENTS = Map.of(
            "emailSend", "Email Delivered",
            "emailOpen", "Email Opened",
            "emailClick", "Email Link Clicked",
            "emailBounce", "Email Bounced",
            "emailComplaint", "Email Marked as Spam",
            "emailUnSubscribe", "Unsubscribed",
            "emailSubscribe", "Subscribed");
    /** dataFields → property, on every event a webhook becomes. */
    private static final Map<String, String> COMMON_PROPERTIES = orderedPairs(
            "campaignId", "campaign_id",
            "campaignName", "campaign_name",
            "templateId", "template_id",
            "templateName", "template_name",
            "emailId", "email_id",
            "emailSubject", "email_subject",
            "messageId", "message_id");
    /** How Iterable writes {@code dataFields.createdAt}: {@code 2016-12-02 18:51:45 +00:00}. */
    private static final DateTimeFormatter CREATED_AT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xxx");

    private final WebhookToken token;
    private final VendorReports reports;

    private IterableWebhook(WebhookToken token, VendorReports reports) {
        this.token = token;
        this.reports = reports;
    }

    static void serve(VendorIntake intake, SettingsReader settings) {
        WebhookToken token = new WebhookToken(settings.optional(TOKEN_SETTING), "ITERABLE_WEBHOOK_TOKEN",
                "the Iterable webhook endpoint");
        IterableWebhook webhooks = new IterableWebhook(token, intake.reports("Iterable", ENDPOINT));
        intake.serve(PATH, ENDPOINT, VendorIntake.Body.JSON, token.disabledBecause(), webhooks::receive);
    }

    CompletableFuture<Intake.Outcome> receive(VendorIntake.Request request) throws SQLException {
        token.authenticate(request.header("Authorization"));
        ObjectNode webhook = EventBodies.requireObject(request.json(), "");
        String eventName = requiredText(webhook, "eventName");
        String email = storable("email", requiredText(webhook, "email"));
        ObjectNode dataFields = webhook.hasNonNull("dataFields")
                ? EventBodies.requireObject(webhook.get("dataFields"), "dataFields")
                : EventBodies.JSON.createObjectNode();
        String segmentEvent = SEGMENT_EVENTS.get(eventName);
        if (segmentEvent == null) {
            LOG.debug("Iterable webhook {} acknowledged without an event: Segment's Email spec has none for it", eventName);
            reports.ignored(eventName);
            return CompletableFuture.completedFuture(new Intake.Outcome(0));
        }
        Instant now = Instant.now();
        VendorReports.Recipient recipient = reports.recipient(email, userId(webhook), createdAt(dataFields, now),
                kind -> messageId(eventName, email, dataFields, kind));
        ObjectNode track = recipient.track(segmentEvent, properties(eventName, dataFields));
        List<ObjectNode> events = switch (eventName) {
            case "emailUnSubscribe" -> List.of(recipient.identify(Map.of("unsubscribed", true)), track);
            case "emailSubscribe" -> List.of(recipient.identify(Map.of("unsubscribed", false)), track);
            default -> List.of(track);
        };
        return reports.store(events, now);
    }

    private static ObjectNode properties(String eventName, ObjectNode dataFields) {
        ObjectNode properties = EventBodies.JSON.createObjectNode();
        COMMON_PROPERTIES.forEach((field, property) -> copy(dataFields, field, properties, property));
        switch (eventName) {
            case "emailClick" -> {
                copy(dataFields, dataFields.hasNonNull("url") ? "url" : "linkUrl", properties, "link_url");
                copy(dataFields, "linkId", properties, "link_id");
            }
            case "emailBounce" -> copy(dataFields, "recipientState", properties, "bounce_type");
            case "emailUnSubscribe" -> {
                copy(dataFields, "emailListIds", properties, "list_ids");
                copy(dataFields, "channelIds", properties, "channel_ids");
            }
            default -> {
                // the common properties are all there is
            }
        }
        return properties;
    }

    private static void copy(ObjectNode dataFields, String field, ObjectNode properties, String property) {
        JsonNode value = dataFields.get(field);
        if (value != null && !value.isNull()) {
            properties.set(property, value.deepCopy());
        }
    }

    /** Iterable's own userId for the person, when its project has one. */
    private static Optional<String> userId(ObjectNode webhook) {
        JsonNode userId = webhook.get("userId");
        if (userId == null || !(userId.isTextual() || userId.isIntegralNumber()) || userId.asText().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(storable("userId", userId.asText().trim()));
    }

    /** An id the identity store can keep (it links the person by it), else the webhook is refused naming the field. */
    private static String storable(String field, String value) {
        if (value.length() > IdentityStore.MAX_IDENTIFIER_LENGTH) {
            throw new IntakeRejected(Reason.INVALID, field, field + " is " + value.length()
                    + " characters long; the bridge keeps ids and emails of at most " + IdentityStore.MAX_IDENTIFIER_LENGTH);
        }
        return value;
    }

    /** When it happened in Iterable; a webhook without a readable time is taken as happening now. */
    private static Instant createdAt(ObjectNode dataFields, Instant now) {
        String createdAt = dataFields.path("createdAt").asText("");
        if (createdAt.isBlank()) {
            return now;
        }
        try {
            Instant time = OffsetDateTime.parse(createdAt.trim(), CREATED_AT).toInstant();
            // A time in a year that Segment's timestamps (RFC 3339, in UTC here) cannot be written with is no readable
            // time either.
            int year = time.atOffset(java.time.ZoneOffset.UTC).getYear();
            return year >= 0 && year <= 9999 ? time : now;
        } catch (DateTimeException e) {
            LOG.debug("Iterable webhook createdAt '{}' is not 'yyyy-MM-dd HH:mm:ss +00:00'; using the time received", createdAt);
            return now;
        }
    }

    /**
     * Derived from what identifies the occurrence in Iterable (its send's messageId and the time), so a webhook
     * Iterable sends again is stored once, while the open and the click of one email stay apart.
     */
    private static String messageId(String eventName, String email, ObjectNode dataFields, String kind) {
        String canonical = String.join("|", eventName, email, dataFields.path("messageId").asText(""),
                dataFields.path("createdAt").asText(""), kind);
        // "iterable-" and 64 hex digits: within Segment's 100-character limit.
        return VendorReports.messageId("iterable", canonical);
    }

    private static String requiredText(ObjectNode webhook, String field) {
        JsonNode value = webhook.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new IntakeRejected(Reason.INVALID, field, field + " is required (a non-empty string)");
        }
        return value.asText().trim();
    }

    private static Map<String, String> orderedPairs(String... keysAndValues) {
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            pairs.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return pairs;
    }
}
