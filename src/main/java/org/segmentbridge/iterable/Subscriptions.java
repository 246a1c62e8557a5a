package org.segmentbridge.iterable;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.MissingParameter;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code unsubscribe} and {@code subscribe} share: one call per message type and, only when channels are
 * configured, per channel, on {@code /api/subscriptions/{messageType|messageChannel}/{id}/user/{email}} (or
 * {@code /byUserId/{userId}}). Unlike {@code users/updateSubscriptions}, these calls do not overwrite the person's
 * other subscriptions.
 */
abstract class Subscriptions implements Action {

    private static final ActionParameter MESSAGE_TYPES = ActionParameter.ids("messageTypes",
            "Iterable message type ids; this or channels must have one");
    private static final ActionParameter CHANNELS = ActionParameter.ids("channels",
            "Iterable message channel ids, for whole channels; this or messageTypes must have one");

    /** The HTTP method of each call. */
    abstract String method();

    @Override
    public List<ActionParameter> parameters() {
        return List.of(MESSAGE_TYPES, CHANNELS);
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(64 * 1024);
    }

    /** One of the two lists must have an id; each alone is optional. */
    @Override
    public void validate(Map<String, String> parameters) {
        if (ActionParameter.items(parameters.get(MESSAGE_TYPES.name())).isEmpty()
                && ActionParameter.items(parameters.get(CHANNELS.name())).isEmpty()) {
            throw new MissingParameter(name() + " needs messageTypes=<ids> or channels=<ids> (comma-separated Iterable ids), "
                    + "and both are empty");
        }
    }

    @Override
    public List<Item> prepare(Input input) {
        ObjectNode who = IterableConnector.identifier(input, name());
        List<Item> items = new ArrayList<>();
        for (String id : ActionParameter.items(input.parameter(MESSAGE_TYPES))) {
            items.add(new Item("messageType/" + id, input.event().path("messageId").asText() + "/" + id, who));
        }
        for (String id : ActionParameter.items(input.parameter(CHANNELS))) {
            items.add(new Item("messageChannel/" + id, input.event().path("messageId").asText() + "/channel/" + id, who));
        }
        if (items.isEmpty()) {
            throw new ActionException("iterable " + name() + " has no message types: set "
                    + "bridge.iterable.unsubscribe-message-types (or bridge.iterable.unsubscribe-channels) and replay this dead letter");
        }
        return items;
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        ObjectNode who = (ObjectNode) items.get(0).payload();
        String user = who.has("email")
                ? "/user/" + URLEncoder.encode(who.get("email").asText(), StandardCharsets.UTF_8)
                : "/byUserId/" + URLEncoder.encode(who.get("userId").asText(), StandardCharsets.UTF_8);
        return new OutboundRequest(method(), URI.create(settings.baseUrl() + "/api/subscriptions/" + group + user), Map.of(), new byte[0]);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
