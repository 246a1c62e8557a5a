package org.segmentbridge.iterable;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code user-update}: {@code POST /api/users/update} (500/s), one user; {@code user-bulk-update}:
 * {@code POST /api/users/bulkUpdate} (5/s, 4 MB bodies). dataFields are the route's mapping, dates in Iterable's format,
 * nested objects merged rather than replaced.
 */
final class UserUpdate implements Action {

    private final boolean bulk;

    UserUpdate(boolean bulk) {
        this.bulk = bulk;
    }

    @Override
    public String name() {
        return bulk ? "user-bulk-update" : "user-update";
    }

    @Override
    public BatchLimits limits() {
        return bulk ? new BatchLimits(1000, 4L * 1024 * 1024) : BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(bulk ? new Rate(5, Duration.ofSeconds(1)) : new Rate(500, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        ObjectNode user = IterableConnector.identifier(input, name());
        if (!input.fields().isEmpty()) {
            user.set("dataFields", IterableConnector.withIterableDates(input.fields()));
        }
        user.put("mergeNestedObjects", true);
        return List.of(new Item("", input.event().path("messageId").asText(), user));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        if (!bulk) {
            return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/api/users/update"), items.get(0).payload().toString());
        }
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        items.forEach(item -> body.withArray("users").add(item.payload()));
        return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/api/users/bulkUpdate"), body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
