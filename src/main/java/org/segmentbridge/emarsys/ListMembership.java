package org.segmentbridge.emarsys;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.Audiences;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.MissingParameter;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * Contact list membership: {@code POST /contactlist/{id}/add} or {@code /delete} with up to 1,000 external ids.
 * {@code list-add} / {@code list-remove} take {@code list=<name>}; {@code audience} reads an Engage audience event
 * (identify {@code traits.<key>: true|false}, or track {@code Audience Entered|Exited}) for the direction and names the
 * list after {@code context.personas.computation_key} unless {@code list} is given. Lists are found by name, or
 * created once.
 */
final class ListMembership implements Action {

    enum Direction {
        ADD("add"), REMOVE("delete");

        final String path;

        Direction(String path) {
            this.path = path;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmarsysConnector connector;
    private final String name;
    private final Direction fixed;

    /** @param fixed the direction, or null to read it from the audience event */
    ListMembership(EmarsysConnector connector, String name, Direction fixed) {
        this.connector = connector;
        this.name = name;
        this.fixed = fixed;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 8L * 1024 * 1024);
    }

    @Override
    public void validate(Map<String, String> parameters) {
        if (fixed != null && (!parameters.containsKey("list") || parameters.get("list").isBlank())) {
            throw new MissingParameter(name + " needs list=<contact list name>");
        }
        Set<String> unknown = new java.util.TreeSet<>(parameters.keySet());
        unknown.removeAll(Set.of("list", "keyField"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(name + " takes list and keyField, not " + unknown);
        }
    }

    @Override
    public List<Item> prepare(Input input) {
        String audienceKey = Audiences.key(input.event());
        Direction direction = fixed != null ? fixed : audienceDirection(input.event());
        if (direction == null) {
            return List.of();
        }
        String list = input.parameter("list", audienceKey);
        if (list.isBlank()) {
            throw new org.segmentbridge.delivery.ActionException("emarsys " + name
                    + " has no list: the event has no context.personas.computation_key and the route gives no list=");
        }
        String key = EmarsysConnector.contactKey(input, name);
        ObjectNode member = JSON.createObjectNode().put("external_id", key);
        return List.of(new Item(EmarsysConnector.group(direction.name(), list, EmarsysConnector.keyField(input)), key, member));
    }

    /** Add on entry, remove on exit; null when the event says neither. */
    private static Direction audienceDirection(JsonNode event) {
        Boolean member = Audiences.membership(event);
        return member == null ? null : member ? Direction.ADD : Direction.REMOVE;
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        String[] parts = EmarsysConnector.parts(group);
        Direction direction = Direction.valueOf(parts[0]);
        String keyId = connector.directory().fieldId(parts[2], settings, connector.auth(settings));
        String listId = connector.directory().listId(parts[1], keyId, settings, connector.auth(settings));
        ObjectNode body = JSON.createObjectNode().put("key_id", keyId);
        items.forEach(item -> body.withArray("external_ids").add(item.idempotencyKey()));
        return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/contactlist/" + listId + "/" + direction.path),
                body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return EmarsysAnswers.read(answer, items, Item::idempotencyKey, Set.of());
    }
}
