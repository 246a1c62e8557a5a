package org.segmentbridge.emarsys;

import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code trigger?event=<name or id>}: {@code POST /event/{id}/trigger}, one contact or up to 1,000 in
 * {@code contacts} (1 MB), each with {@code trigger_id} = the event's messageId so Emarsys runs it once however often
 * it is resent, and {@code event_time}. The route's mapping is the event data: its fields go under {@code global},
 * except those named by {@code sections} (e.g. {@code products}), which go beside it for the template's loops.
 */
final class EventTrigger implements Action {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ActionParameter EVENT = ActionParameter.text("event",
            "the Emarsys external event, by name or id").asRequired();
    private static final ActionParameter SECTIONS = ActionParameter.names("sections",
            "mapped fields that go beside global rather than in it, for the template's loops (e.g. products)");

    private final EmarsysConnector connector;

    EventTrigger(EmarsysConnector connector) {
        this.connector = connector;
    }

    @Override
    public String name() {
        return "trigger";
    }

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 1024 * 1024);
    }

    @Override
    public String description() {
        return "triggers an external event for contacts, the mapped fields as its data: POST /event/{id}/trigger";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(EVENT, EmarsysConnector.KEY_FIELD, SECTIONS);
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        ObjectNode contact = JSON.createObjectNode();
        contact.put("external_id", EmarsysConnector.contactKey(input, name()));
        contact.put("trigger_id", event.path("messageId").asText());
        if (event.hasNonNull("timestamp")) {
            contact.put("event_time", Instant.parse(event.get("timestamp").asText().replaceFirst("\\+00:00$", "Z"))
                    .truncatedTo(ChronoUnit.SECONDS).toString());
        }
        if (!input.fields().isEmpty()) {
            contact.set("data", data(input.fields(), ActionParameter.items(input.parameter(SECTIONS))));
        }
        return List.of(new Item(EmarsysConnector.group(input.parameter(EVENT), EmarsysConnector.keyField(input)),
                event.path("messageId").asText(), contact));
    }

    private static ObjectNode data(ObjectNode fields, List<String> sectionNames) {
        ObjectNode data = JSON.createObjectNode();
        ObjectNode global = data.putObject("global");
        fields.fields().forEachRemaining(field -> {
            if (sectionNames.contains(field.getKey())) {
                data.set(field.getKey(), field.getValue());
            } else {
                global.set(field.getKey(), field.getValue());
            }
        });
        if (global.isEmpty()) {
            data.remove("global");
        }
        return data;
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        String[] parts = EmarsysConnector.parts(group);
        String eventId = connector.directory().eventId(parts[0], settings, connector.auth(settings));
        String keyId = connector.directory().fieldId(parts[1], settings, connector.auth(settings));
        ObjectNode body = JSON.createObjectNode();
        body.put("key_id", keyId);
        if (items.size() == 1) {
            body.setAll((ObjectNode) items.get(0).payload());
        } else {
            items.forEach(item -> body.withArray("contacts").addRawValue(item.asRawJson()));
        }
        return OutboundRequest.json("POST", URI.create(EmarsysAuth.baseUrl(settings) + "/event/" + eventId + "/trigger"), body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return EmarsysAnswers.read(answer, items, item -> item.payload().path("external_id").asText(), Set.of());
    }
}
