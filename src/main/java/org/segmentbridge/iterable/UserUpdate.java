package org.segmentbridge.iterable;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code user-update}: {@code POST /api/users/update} (500/s), one user. dataFields are the route's mapping, dates in
 * Iterable's format, nested objects merged rather than replaced.
 */
final class UserUpdate implements Action {

    @Override
    public String name() {
        return "user-update";
    }

    @Override
    public String description() {
        return "updates or creates a user with the mapped fields as dataFields (nested objects merged): POST /api/users/update";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of();
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(500, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        return List.of(user(input, name()));
    }

    /** The user as {@code users/update} and each entry of {@code users/bulkUpdate} take it. */
    static Item user(Input input, String action) {
        ObjectNode user = IterableConnector.identifier(input, action);
        if (!input.fields().isEmpty()) {
            user.set("dataFields", IterableConnector.withIterableDates(input.fields()));
        }
        user.put("mergeNestedObjects", true);
        return new Item("", input.event().path("messageId").asText(), user);
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return IterableConnector.post("/api/users/update", items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
