package org.segmentbridge.iterable;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code event[?event=<name>]}: {@code POST /api/events/track} (2000/s); {@code event-bulk}: {@code POST
 * /api/events/trackBulk} (10/s). {@code id} = the messageId, so a resent event updates instead of doubling;
 * {@code createdAt} in unix seconds; dataFields are the mapping, else the track's properties, with Iterable dates.
 */
final class TrackEvent implements Action {

    private final boolean bulk;

    TrackEvent(boolean bulk) {
        this.bulk = bulk;
    }

    @Override
    public String name() {
        return bulk ? "event-bulk" : "event";
    }

    @Override
    public BatchLimits limits() {
        return bulk ? new BatchLimits(1000, 4L * 1024 * 1024) : BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(bulk ? new Rate(10, Duration.ofSeconds(1)) : new Rate(2000, Duration.ofSeconds(1)));
    }

    @Override
    public void validate(Map<String, String> parameters) {
        java.util.Set<String> unknown = new java.util.TreeSet<>(parameters.keySet());
        unknown.remove("event");
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(name() + " takes event (and mapping), not " + unknown);
        }
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        ObjectNode track = IterableConnector.JSON.createObjectNode();
        track.put("eventName", input.parameter("event", event.path("event").asText()));
        track.setAll(IterableConnector.identifier(input, name()));
        track.put("id", event.path("messageId").asText());
        track.put("createdAt", IterableConnector.createdAt(event));
        JsonNode data = !input.fields().isEmpty() ? input.fields() : event.path("properties");
        if (data.isObject() && !data.isEmpty()) {
            track.set("dataFields", IterableConnector.withIterableDates(data));
        }
        return List.of(new Item("", event.path("messageId").asText(), track));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        if (!bulk) {
            return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/api/events/track"), items.get(0).payload().toString());
        }
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        items.forEach(item -> body.withArray("events").add(item.payload()));
        return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/api/events/trackBulk"), body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
