package org.segmentbridge.emarsys;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.emarsys.EngagementBackfill.Window;
import org.segmentbridge.intake.VendorReports;

/**
 * One contact's response of one type in one window (per campaign when Emarsys names it), and the Segment Email spec
 * events it becomes. Its id is stable, so the events' messageIds are the same on every run that reads it.
 */
record ResponseRecord(BackfillSettings.ResponseType type, String contactId, ObjectNode campaign, Window window) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Campaign properties of Segment's Email spec, copied when Emarsys includes them in a response entry. */
    private static final List<String> CAMPAIGN_PROPERTIES =
            List.of("email_id", "email_subject", "campaign_id", "campaign_name", "link_id", "link_url");

    /** The record of one entry of a query's result (a contact id, or an object naming it); null when it names none. */
    static ResponseRecord of(BackfillSettings.ResponseType type, JsonNode entry, Window window) {
        ObjectNode campaign = JSON.createObjectNode();
        String contactId;
        if (entry.isObject()) {
            contactId = entry.path("contact_id").asText(entry.path("id").asText(""));
            for (String property : CAMPAIGN_PROPERTIES) {
                JsonNode value = entry.get(property);
                if (value != null && !value.isNull() && !value.asText().isEmpty()) {
                    campaign.set(property, value);
                }
            }
        } else {
            contactId = entry.asText("");
        }
        return contactId.isBlank() ? null : new ResponseRecord(type, contactId.trim(), campaign, window);
    }

    String id() {
        return String.join("\n", type.name(), contactId, campaign.path("email_id").asText(""),
                window.firstDay().toString(), window.lastDay().toString());
    }

    /** The record's track. */
    ObjectNode event(VendorReports reports, String email) {
        ObjectNode properties = JSON.createObjectNode();
        type.properties().forEach(properties::put);
        properties.setAll(campaign);
        properties.put("emarsys_contact_id", contactId);
        properties.put("emarsys_response_type", type.name());
        properties.put("window_start", window.start().toString());
        properties.put("window_end", window.end().toString());
        VendorReports.Recipient recipient = reports.recipient(email, window.start(),
                event -> VendorReports.messageId("emarsys", "emarsys", id(), event));
        return recipient.track(type.event(), properties);
    }
}
