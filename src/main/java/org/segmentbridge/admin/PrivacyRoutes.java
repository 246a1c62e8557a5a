package org.segmentbridge.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Message;
import org.segmentbridge.privacy.ConsentChanges;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.privacy.PrivacyAudit;
import org.segmentbridge.privacy.SuppressionStore;
import org.segmentbridge.intake.Intake;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.processor.Processor;
import org.segmentbridge.queue.IntakeLog;

/**
 * Operator endpoints for privacy, behind the admin token:
 * <ul>
 *   <li>{@code POST /admin/privacy/delete} {@code {"userId": ...}} or {@code {"email": ...}}: erase a person
 *       everywhere (202, with the request id to follow in the audit log);</li>
 *   <li>{@code GET /admin/privacy/audit?request=|email=|userId=}: the erasure steps and their results;</li>
 *   <li>{@code GET /admin/privacy/consent?email=}: a person's consent as the bridge knows it;</li>
 *   <li>{@code POST /admin/privacy/consent} {@code {"email": ..., "state": "unsubscribed"|"subscribed"}}: an
 *       operator's consent change, sent to every platform and to Segment like any other change.</li>
 * </ul>
 */
public class PrivacyRoutes extends AdminRouteBuilder {

    public static final String ENDPOINT = "admin-privacy";
    /** How an operator's consent change names its origin, as a platform's report names the platform. */
    public static final String OPERATOR = "Operator";

    private final ConsentChanges consent;
    private final Erasures erasures;
    private final Intake intake;
    private final VendorReports operatorReports;
    private final Processor processor;

    /** @param processor answers, for a consent change, whether it changed anything once it has been processed */
    public PrivacyRoutes(Optional<String> token, ConsentChanges consent, Erasures erasures, Intake intake,
                         VendorReports operatorReports, Processor processor) {
        super(token);
        this.consent = consent;
        this.erasures = erasures;
        this.intake = intake;
        this.operatorReports = operatorReports;
        this.processor = processor;
    }

    @Override
    public void configure() {
        serve("POST", "/admin/privacy/delete").routeId("admin-privacy-delete")
                .process(exchange -> answer(exchange, 202, () -> erase(body(exchange.getMessage()))));
        serve("GET", "/admin/privacy/audit").routeId("admin-privacy-audit")
                .process(exchange -> answer(exchange, () -> audit(exchange.getMessage())));
        serve("GET", "/admin/privacy/consent").routeId("admin-privacy-consent")
                .process(exchange -> answer(exchange, () -> consent(exchange.getMessage())));
        serve("POST", "/admin/privacy/consent").routeId("admin-privacy-consent-change")
                .process(exchange -> answer(exchange, 202, () -> changeConsent(body(exchange.getMessage()))));
    }

    private JsonNode erase(ObjectNode request) throws Exception {
        Optional<String> userId = identifier(request, "userId");
        Optional<String> email = identifier(request, "email");
        if (userId.isEmpty() && email.isEmpty()) {
            throw new AdminError(400, "userId or email is required (a non-empty string) to say whom to erase");
        }
        email.ifPresent(PrivacyRoutes::requireEmail);
        String requestId = "erasure-" + UUID.randomUUID();
        Instant now = Instant.now();
        ObjectNode event = JSON.createObjectNode().put("type", "delete").put("messageId", requestId);
        userId.ifPresent(value -> event.put("userId", value));
        email.ifPresent(value -> event.with("context").with("traits").put("email", value));
        event.put("timestamp", now.toString()).put("receivedAt", now.toString());
        String subject = erasures.subjectOf(event);
        IntakeLog.await(intake.store(List.of(event), ENDPOINT, now));
        return JSON.createObjectNode().put("request", requestId).put("subject", subject)
                .put("audit", "/admin/privacy/audit?request=" + requestId);
    }

    private JsonNode audit(Message query) {
        String request = query.getHeader("request", String.class);
        String email = query.getHeader("email", String.class);
        String userId = query.getHeader("userId", String.class);
        String subject = email != null ? Erasures.hash("key", email) : userId != null ? Erasures.hash("user", userId) : null;
        ArrayNode entries = JSON.createArrayNode();
        for (PrivacyAudit.Entry entry : erasures.audit().list(new PrivacyAudit.Filter(request, subject), limit(query))) {
            entries.addObject()
                    .put("at", entry.at().toString())
                    .put("request", entry.requestId())
                    .put("subject", entry.subjectHash())
                    .put("platform", entry.platform())
                    .put("step", entry.step())
                    .put("result", entry.result())
                    .put("reference", entry.reference());
        }
        ObjectNode reply = JSON.createObjectNode().put("count", entries.size());
        reply.set("entries", entries);
        return reply;
    }

    private JsonNode consent(Message query) {
        String email = query.getHeader("email", String.class);
        if (email == null || email.isBlank()) {
            throw new AdminError(400, "the email parameter is required: /admin/privacy/consent?email=...");
        }
        SuppressionStore.Consent current = consent.suppressions().current(SuppressionStore.subject(email), ConsentChanges.EMAIL)
                .orElseThrow(() -> new AdminError(404, "the bridge has no consent record for this email"));
        return JSON.createObjectNode().put("channel", ConsentChanges.EMAIL).put("state", current.state().column())
                .put("origin", current.origin()).put("changedAt", current.changedAt().toString());
    }

    private static final java.time.Duration CHANGE_OUTCOME_WAIT = java.time.Duration.ofSeconds(5);

    private JsonNode changeConsent(ObjectNode request) throws Exception {
        String email = identifier(request, "email")
                .orElseThrow(() -> new AdminError(400, "email is required (a non-empty string)"));
        requireEmail(email);
        String state = optionalText(request, "state").orElse("");
        boolean unsubscribe = switch (state) {
            case "unsubscribed" -> true;
            case "subscribed" -> false;
            default -> throw new AdminError(400, "state must be 'unsubscribed' or 'subscribed', got '" + state + "'");
        };
        Instant now = Instant.now();
        String change = "operator-" + UUID.randomUUID();
        VendorReports.Recipient recipient = operatorReports.recipient(email, now, kind -> change + "-" + kind);
        ObjectNode properties = JSON.createObjectNode().put("source", "operator");
        operatorReports.store(List.of(
                recipient.identify(Map.of("unsubscribed", unsubscribe)),
                recipient.track(unsubscribe ? ConsentChanges.UNSUBSCRIBED_EVENT : ConsentChanges.SUBSCRIBED_EVENT, properties)), now);
        ObjectNode answer = JSON.createObjectNode();
        // Stored already; whether it changed anything is the processor's to say, usually within milliseconds.
        Optional<Boolean> changed = processor.awaitReportSentToAll(change + "-identify", CHANGE_OUTCOME_WAIT);
        changed.ifPresentOrElse(value -> answer.put("changed", value),
                () -> answer.put("pending", "stored; the processor has not weighed it yet: " + processor.stalled().orElse("busy")));
        return answer.put("state", state);
    }

    private static ObjectNode body(Message message) {
        String text = message.getBody(String.class);
        try {
            JsonNode body = text == null || text.isBlank() ? null : JSON.readTree(text);
            if (body instanceof ObjectNode object) {
                return object;
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AdminError(400, "the body is not JSON: " + e.getOriginalMessage());
        }
        throw new AdminError(400, "the body must be a JSON object");
    }

    private static Optional<String> optionalText(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new AdminError(400, field + " must be a non-empty string");
        }
        return Optional.of(value.asText().trim());
    }

    /** A userId or email naming a person, which the identity store looks up and records. */
    private static Optional<String> identifier(ObjectNode body, String field) {
        return identifier(field, optionalText(body, field));
    }

    private static void requireEmail(String email) {
        int at = email.indexOf('@');
        if (at <= 0 || at == email.length() - 1) {
            throw new AdminError(400, "email must be an email address");
        }
    }
}
