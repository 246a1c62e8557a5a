package org.segmentbridge.sailthru;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code event[?event=<name>][&allowPii=true]}: {@code POST /event} for Lifecycle Optimizer triggers. The vars are the
 * route's mapping, else the track's properties, flattened; personal data (email, names, phone, address, IP, birthday)
 * stays out of the vars unless {@code allowPii=true}.
 */
final class CustomEvent implements Action {

    private static final Set<String> PERSONAL = Set.of("email", "phone", "name", "first_name", "firstName", "last_name",
            "lastName", "address", "ip", "birthday");
    private static final ActionParameter EVENT = ActionParameter.text("event", "the Sailthru event name; default: the track's name");
    private static final ActionParameter ALLOW_PII = ActionParameter.bool("allowPii",
            "keep personal data (email, names, phone, address, IP, birthday) in the vars").defaultsTo("false");

    @Override
    public String name() {
        return "event";
    }

    @Override
    public String description() {
        return "sends a custom event for Lifecycle Optimizer, the mapped fields (else the properties) as vars: POST /event";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(EVENT, ALLOW_PII);
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(40, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        String email = SailthruConnector.requireEmail(input, name());
        ObjectNode source = input.fields().isEmpty() && input.event().path("properties").isObject()
                ? ((ObjectNode) input.event().path("properties")).deepCopy() : input.fields().deepCopy();
        if (!"true".equals(input.parameter(ALLOW_PII))) {
            removePersonalData(source);
        }
        ObjectNode event = SailthruConnector.JSON.createObjectNode()
                .put("id", email).put("key", "email")
                .put("event", input.parameter(EVENT.name(), input.event().path("event").asText()));
        if (!source.isEmpty()) {
            event.set("vars", SailthruConnector.flatten(source));
        }
        return List.of(new Item("", input.event().path("messageId").asText(), event));
    }

    /** At any depth: a nested customer.email would otherwise reach the vars flattened, as customer_email. */
    private static void removePersonalData(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove(PERSONAL);
        }
        node.forEach(CustomEvent::removePersonalData);
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return SailthruRequests.build("POST", "/event", items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return SailthruAnswers.read(answer);
    }
}
