package org.segmentbridge.iterable;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code event[?event=<name>]}: {@code POST /api/events/track} (2000/s). {@code id} = the messageId, so a resent event
 * updates instead of doubling; {@code createdAt} in unix seconds; dataFields are the mapping, else the track's
 * properties, with Iterable dates.
 */
final class TrackEvent implements Action {

    /** The event name of {@code event} and {@code event-bulk}. */
    static final ActionParameter EVENT = ActionParameter.text("event", "the Iterable event name; default: the track's name");

    @Override
    public String name() {
        return "event";
    }

    @Override
    public String description() {
        return "tracks a custom event, id = the messageId: POST /api/events/track";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(EVENT);
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(2000, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        return List.of(track(input, name()));
    }

    /** The event as {@code events/track} and each entry of {@code events/trackBulk} take it. */
    static Item track(Input input, String action) {
        JsonNode event = input.event();
        ObjectNode track = IterableConnector.JSON.createObjectNode();
        track.put("eventName", input.parameter(EVENT.name(), event.path("event").asText()));
        track.setAll(IterableConnector.identifier(input, action));
        track.put("id", event.path("messageId").asText());
        track.put("createdAt", IterableConnector.createdAt(event));
        JsonNode data = !input.fields().isEmpty() ? input.fields() : event.path("properties");
        if (data.isObject() && !data.isEmpty()) {
            track.set("dataFields", IterableConnector.withIterableDates(data));
        }
        return new Item("", event.path("messageId").asText(), track);
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return IterableConnector.post("/api/events/track", items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
