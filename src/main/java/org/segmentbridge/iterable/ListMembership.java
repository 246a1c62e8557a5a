package org.segmentbridge.iterable;

import java.net.URI;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.Audiences;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.MissingParameter;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code POST /api/lists/subscribe} / {@code unsubscribe}, batched per list. {@code list-subscribe} and
 * {@code list-unsubscribe} take {@code list=<name>}; {@code audience} reads an Engage audience event and names the list
 * after its key unless {@code list} is given. Lists are found by name, or created once. An unsubscribe never sets
 * {@code channelUnsubscribe} (which would unsubscribe the person from the whole channel).
 */
final class ListMembership implements Action {

    private final IterableConnector connector;
    private final String name;
    private final Boolean subscribe;

    ListMembership(IterableConnector connector, String name, Boolean subscribe) {
        this.connector = connector;
        this.name = name;
        this.subscribe = subscribe;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 4L * 1024 * 1024);
    }

    @Override
    public void validate(Map<String, String> parameters) {
        if (subscribe != null && (!parameters.containsKey("list") || parameters.get("list").isBlank())) {
            throw new MissingParameter(name + " needs list=<Iterable list name>");
        }
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        String audience = Audiences.key(event);
        Boolean join = subscribe != null ? subscribe : Audiences.membership(event);
        if (join == null) {
            return List.of();
        }
        String list = input.parameter("list", audience);
        if (list.isBlank()) {
            throw new ActionException("iterable " + name + " has no list: no context.personas.computation_key and no list=");
        }
        ObjectNode subscriber = IterableConnector.identifier(input, name);
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
        items.forEach(item -> body.withArray("subscribers").add(item.payload()));
        return OutboundRequest.json("POST", URI.create(settings.baseUrl() + (join ? "/api/lists/subscribe" : "/api/lists/unsubscribe")),
                body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
