package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.Audiences;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code list-subscribe}, {@code list-unsubscribe} and {@code audience} share: {@code POST /api/lists/subscribe}
 * or {@code unsubscribe}, batched per list. The list is the route's {@code list}, else the Engage audience's key;
 * lists are found by name, or created once. An unsubscribe never sets {@code channelUnsubscribe} (which would
 * unsubscribe the person from the whole channel).
 */
abstract class ListMembership implements Action {

    private final IterableConnector connector;

    ListMembership(IterableConnector connector) {
        this.connector = connector;
    }

    /** Whether this event subscribes (true) or unsubscribes (false) the person; null when it says neither (nothing is sent). */
    abstract Boolean join(JsonNode event);

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 4L * 1024 * 1024);
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        String audience = Audiences.key(event);
        Boolean join = join(event);
        if (join == null) {
            return List.of();
        }
        String list = input.parameter("list", audience);
        if (list.isBlank()) {
            throw new ActionException("iterable " + name() + " has no list: no context.personas.computation_key and no list=");
        }
        ObjectNode subscriber = IterableConnector.identifier(input, name());
        return List.of(new Item((join ? "subscribe:" : "unsubscribe:") + list, event.path("messageId").asText(), subscriber));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        boolean join = group.startsWith("subscribe:");
        String listName = group.substring(group.indexOf(':') + 1);
        String listId = connector.listId(listName, settings);
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        if (listId.chars().allMatch(Character::isDigit)) {
            body.put("listId", Long.parseLong(listId));
        } else {
            body.put("listId", listId);
        }
        items.forEach(item -> body.withArray("subscribers").addRawValue(item.asRawJson()));
        return IterableConnector.post(join ? "/api/lists/subscribe" : "/api/lists/unsubscribe", body.toString(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
