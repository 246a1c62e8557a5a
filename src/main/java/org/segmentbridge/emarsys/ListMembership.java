package org.segmentbridge.emarsys;

import java.net.URI;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.Audiences;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code list-add}, {@code list-remove} and {@code audience} share: {@code POST /contactlist/{id}/add} or
 * {@code /delete} with up to 1,000 external ids, batched per direction, list and key field. The list is the route's
 * {@code list}, else the Engage audience's key ({@code context.personas.computation_key}); lists are found by name,
 * or created once.
 */
abstract class ListMembership implements Action {

    enum Direction {
        ADD("add"), REMOVE("delete");

        final String path;

        Direction(String path) {
            this.path = path;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmarsysConnector connector;

    ListMembership(EmarsysConnector connector) {
        this.connector = connector;
    }

    /** Which way this event moves the contact, or null when it says neither (nothing is sent). */
    abstract Direction direction(JsonNode event);

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 8L * 1024 * 1024);
    }

    @Override
    public List<Item> prepare(Input input) {
        String audienceKey = Audiences.key(input.event());
        Direction direction = direction(input.event());
        if (direction == null) {
            return List.of();
        }
        String list = input.parameter("list", audienceKey);
        if (list.isBlank()) {
            throw new ActionException("emarsys " + name()
                    + " has no list: the event has no context.personas.computation_key and the route gives no list=");
        }
        String key = EmarsysConnector.contactKey(input, name());
        ObjectNode member = JSON.createObjectNode().put("external_id", key);
        return List.of(new Item(EmarsysConnector.group(direction.name(), list, EmarsysConnector.keyField(input)), key, member));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        String[] parts = EmarsysConnector.parts(group);
        Direction direction = Direction.valueOf(parts[0]);
        String keyId = connector.directory().fieldId(parts[2], settings, connector.auth(settings));
        String listId = connector.directory().listId(parts[1], keyId, settings, connector.auth(settings));
        ObjectNode body = JSON.createObjectNode().put("key_id", keyId);
        items.forEach(item -> body.withArray("external_ids").add(item.idempotencyKey()));
        return OutboundRequest.json("POST", URI.create(EmarsysAuth.baseUrl(settings) + "/contactlist/" + listId + "/" + direction.path),
                body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return EmarsysAnswers.read(answer, items, Item::idempotencyKey, Set.of());
    }
}
