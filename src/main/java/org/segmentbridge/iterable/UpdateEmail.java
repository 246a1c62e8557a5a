package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;
import org.segmentbridge.identity.IdentityStore;

/**
 * {@code update-email}: {@code POST /api/users/updateEmail} when a known person's email changes (the intake marks such
 * an identify with the old key in {@code context.bridge.previousKey}). The user is found by the old email, or by the
 * userId in userId-based projects, and keeps their history under the new email.
 */
final class UpdateEmail implements Action {

    @Override
    public String name() {
        return "update-email";
    }

    @Override
    public String description() {
        return "moves a known person to their new email, history and all: POST /api/users/updateEmail";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of();
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(64 * 1024);
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        String previous = event.path("context").path("bridge").path(IdentityStore.PREVIOUS_KEY_FIELD).asText("");
        String current = event.path("traits").path("email").asText(input.primaryKey() == null ? "" : input.primaryKey());
        if (previous.isEmpty() || current.isEmpty()) {
            throw new ActionException("iterable update-email needs the old and the new email (context.bridge.previousKey and traits.email)");
        }
        ObjectNode change = IterableConnector.JSON.createObjectNode();
        String userId = event.path("userId").asText("");
        if ("userId".equals(input.settings().value("project-type").orElse("email")) && !userId.isEmpty()) {
            change.put("currentUserId", userId);
        } else {
            change.put("currentEmail", previous);
        }
        change.put("newEmail", current);
        return List.of(new Item("", event.path("messageId").asText(), change));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return IterableConnector.post("/api/users/updateEmail", items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
