package org.segmentbridge.sailthru;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.intake.EventBodies;
import org.segmentbridge.intake.Intake;
import org.segmentbridge.intake.IntakeRejected;
import org.segmentbridge.intake.IntakeRejected.Reason;
import org.segmentbridge.intake.VendorIntake;
import org.segmentbridge.intake.VendorReports;

/**
 * Sailthru's postbacks to {@code /webhooks/sailthru} (form-encoded, signed with {@code sig}): opt-outs, hard bounces
 * and profile updates become Segment events, stored for the {@code segment} destination only, so that what changed
 * in Sailthru flows back to Segment.
 */
final class SailthruPostback {

    static final String PATH = "/webhooks/sailthru";
    static final String ENDPOINT = "sailthru-postback";

    private static final Set<String> ACTIONS = Set.of("verify", "optout", "hardbounce", "update");
    /** Profile fields of an {@code update} postback that Segment keeps as traits. */
    private static final List<String> UPDATE_TRAITS = List.of("vars", "lists", "optout_email");

    private final SailthruSignature signature;
    private final VendorReports reports;

    private SailthruPostback(SailthruSignature signature, VendorReports reports) {
        this.signature = signature;
        this.reports = reports;
    }

    /** Serves the postbacks, verified with the API key and secret of the {@code sailthru} destination. */
    static void serve(VendorIntake intake, SailthruSignature signature) {
        SailthruPostback postbacks = new SailthruPostback(signature, intake.reports("Sailthru", ENDPOINT));
        intake.serve(PATH, ENDPOINT, VendorIntake.Body.FORM, signature.disabledBecause(),
                request -> postbacks.receive(request.form()));
    }

    /** @param params every posted form parameter, each with its values in the order posted */
    CompletableFuture<Intake.Outcome> receive(Map<String, List<String>> params) throws SQLException {
        signature.verify(params);
        String action = required(params, "action");
        String email = required(params, "email");
        if (email.length() > IdentityStore.MAX_IDENTIFIER_LENGTH) {
            throw new IntakeRejected(Reason.INVALID, "email", "email is " + email.length()
                    + " characters long; the bridge keeps emails of at most " + IdentityStore.MAX_IDENTIFIER_LENGTH);
        }
        if (!ACTIONS.contains(action)) {
            throw new IntakeRejected(Reason.INVALID, "action", "action '" + action + "' is not one of "
                    + String.join(", ", ACTIONS.stream().sorted().toList()));
        }
        // A verify postback only confirms that Sailthru sent a message; it changes nothing about the person.
        if ("verify".equals(action)) {
            return CompletableFuture.completedFuture(new Intake.Outcome(0));
        }
        Instant now = Instant.now();
        Postback postback = new Postback(params, reports.recipient(email, now, kind -> messageId(params, kind)));
        List<ObjectNode> events = switch (action) {
            case "optout" -> optout(postback);
            case "hardbounce" -> hardbounce(postback);
            case "update" -> List.of(postback.recipient.identify(updatedTraits(postback)));
            default -> throw new IllegalStateException("action " + action + " is accepted but not translated");
        };
        return reports.store(events, now);
    }

    private static List<ObjectNode> optout(Postback postback) {
        String optout = required(postback.params, "optout");
        boolean optedOut = switch (optout) {
            case "1" -> true;
            case "0" -> false;
            default -> throw new IntakeRejected(Reason.INVALID, "optout", "optout must be 1 (opted out) or 0 (opted back in), got '" + optout + "'");
        };
        ObjectNode properties = EventBodies.JSON.createObjectNode();
        postback.copy("mode", properties, "mode");
        postback.copy("list", properties, "list_name");
        postback.copy("blast_id", properties, "blast_id");
        postback.copy("reason", properties, "reason");
        return List.of(postback.recipient.identify(Map.of("unsubscribed", optedOut)),
                postback.recipient.track(optedOut ? "Unsubscribed" : "Subscribed", properties));
    }

    private static List<ObjectNode> hardbounce(Postback postback) {
        ObjectNode properties = EventBodies.JSON.createObjectNode().put("bounce_type", "hard");
        postback.copy("send_id", properties, "send_id");
        postback.copy("blast_id", properties, "blast_id");
        return List.of(postback.recipient.track("Email Bounced", properties),
                postback.recipient.identify(Map.of("email_hard_bounced", true)));
    }

    private static ObjectNode updatedTraits(Postback postback) {
        ObjectNode traits = EventBodies.JSON.createObjectNode();
        ObjectNode posted = FormFields.nest(postback.params);
        for (String name : UPDATE_TRAITS) {
            JsonNode value = posted.get(name);
            if (value != null) {
                traits.set(name, value);
            }
        }
        return traits;
    }

    private static String required(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty() || values.get(0).isBlank()) {
            throw new IntakeRejected(Reason.INVALID, name, "the " + name + " parameter is required");
        }
        return values.get(0).trim();
    }

    /**
     * Derived from everything posted, so a postback Sailthru sends twice is stored once. Sailthru's postbacks carry
     * no id or time of their own: the same change repeated within the dedupe window is taken for a resend.
     */
    private static String messageId(Map<String, List<String>> params, String kind) {
        StringBuilder canonical = new StringBuilder(kind);
        new TreeMap<>(params).forEach((name, values) -> {
            if (!SailthruSignature.SIGNATURE_PARAM.equals(name)) {
                values.forEach(value -> canonical.append('\n').append(name).append('=').append(value));
            }
        });
        return VendorReports.messageId("sailthru", canonical.toString());
    }

    /** One postback's parameters and the person they are about. */
    private record Postback(Map<String, List<String>> params, VendorReports.Recipient recipient) {

        void copy(String param, ObjectNode target, String field) {
            List<String> values = params.get(param);
            if (values != null && !values.isEmpty() && !values.get(0).isBlank()) {
                target.put(field, values.get(0));
            }
        }
    }

    /** Sailthru's nested values, posted as bracketed field names ({@code vars[plan]=gold}) or as JSON strings. */
    static final class FormFields {

        private FormFields() {
        }

        static ObjectNode nest(Map<String, List<String>> params) {
            ObjectNode root = EventBodies.JSON.createObjectNode();
            params.forEach((name, values) -> values.forEach(value -> put(root, path(name), value)));
            return root;
        }

        /** {@code vars[address][city]} → [vars, address, city]; {@code lists[]} → [lists, ""] (an array element). */
        private static List<String> path(String name) {
            int bracket = name.indexOf('[');
            if (bracket <= 0 || !name.endsWith("]")) {
                return List.of(name);
            }
            List<String> path = new ArrayList<>();
            path.add(name.substring(0, bracket));
            for (String segment : name.substring(bracket + 1, name.length() - 1).split("\\]\\[", -1)) {
                path.add(segment);
            }
            // Each bracket is a level of the event's traits: no deeper than a parsed event may nest.
            if (path.size() > EventBodies.MAX_NESTING_DEPTH) {
                throw new IntakeRejected(Reason.INVALID, path.get(0), "the parameter " + abbreviate(name) + " nests "
                        + (path.size() - 1) + " levels of brackets; an event nests no deeper than " + EventBodies.MAX_NESTING_DEPTH + " levels");
            }
            return path;
        }

        private static String abbreviate(String name) {
            return name.length() <= 40 ? name : name.substring(0, 40) + "…";
        }

        private static void put(ObjectNode root, List<String> path, String value) {
            ObjectNode parent = root;
            for (int i = 0; i < path.size() - 1; i++) {
                String next = path.get(i + 1);
                if (next.isEmpty()) {
                    JsonNode existing = parent.get(path.get(i));
                    ArrayNode array = existing instanceof ArrayNode known ? known : parent.putArray(path.get(i));
                    array.add(parsed(value));
                    return;
                }
                JsonNode child = parent.get(path.get(i));
                parent = child instanceof ObjectNode object ? object : parent.putObject(path.get(i));
            }
            parent.set(path.get(path.size() - 1), parsed(value));
        }

        /** A value posted as a JSON object or array (Sailthru's other form for nested fields) is kept as one. */
        private static JsonNode parsed(String value) {
            String trimmed = value.trim();
            if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
                try {
                    JsonNode node = EventBodies.JSON.readTree(trimmed);
                    if (node != null && node.isContainerNode()) {
                        return node;
                    }
                } catch (java.io.IOException | IntakeRejected notJsonWithinLimits) {
                    // kept as the text it is (also JSON the intake would refuse, e.g. a number too large for a double)
                }
            }
            return TextNode.valueOf(value);
        }
    }
}
