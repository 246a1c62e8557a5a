package org.segmentbridge.iterable;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.MissingParameter;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code unsubscribe?messageTypes=<ids>[&channels=<ids>]}: an opt-out as
 * {@code DELETE /api/subscriptions/{messageType|messageChannel}/{id}/user/{email}} (or {@code /byUserId/{userId}}),
 * one call per message type and, only when channels are configured, per channel. Unlike
 * {@code users/updateSubscriptions}, these calls do not overwrite the person's other subscriptions.
 * {@code subscribe} is its inverse for an explicit re-subscription: {@code PATCH} on the same paths.
 */
final class Subscriptions implements Action {

    private final boolean subscribe;

    /** @param subscribe true for {@code subscribe} (PATCH), false for {@code unsubscribe} (DELETE) */
    Subscriptions(boolean subscribe) {
        this.subscribe = subscribe;
    }

    @Override
    public String name() {
        return subscribe ? "subscribe" : "unsubscribe";
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(64 * 1024);
    }

    @Override
    public void validate(Map<String, String> parameters) {
        java.util.Set<String> unknown = new java.util.TreeSet<>(parameters.keySet());
        unknown.removeAll(java.util.Set.of("messageTypes", "channels"));
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(name() + " takes messageTypes and channels, not " + unknown);
        }
        if (ids(parameters.get("messageTypes")).isEmpty() && ids(parameters.get("channels")).isEmpty()) {
            throw new MissingParameter(name() + " needs messageTypes=<ids> or channels=<ids> (comma-separated Iterable ids), "
                    + "and both are empty");
        }
    }

    private static List<String> ids(String value) {
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::trim).filter(id -> !id.isEmpty()).toList();
    }

    @Override
    public List<Item> prepare(Input input) {
        ObjectNode who = IterableConnector.identifier(input, name());
        List<Item> items = new ArrayList<>();
        for (String id : ids(input.parameters().get("messageTypes"))) {
            items.add(new Item("messageType/" + id, input.event().path("messageId").asText() + "/" + id, who));
        }
        for (String id : ids(input.parameters().get("channels"))) {
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
        return new OutboundRequest(subscribe ? "PATCH" : "DELETE", URI.create(settings.baseUrl() + "/api/subscriptions/" + group + user), Map.of(), new byte[0]);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
