package org.segmentbridge.iterable;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Rate;

/** {@code event-bulk[?event=<name>]}: {@code POST /api/events/trackBulk} (10/s), the events of {@code event} batched. */
final class TrackEventBulk extends Bulk {

    TrackEventBulk() {
        super("/api/events/trackBulk", "events");
    }

    @Override
    public String name() {
        return "event-bulk";
    }

    @Override
    public String description() {
        return "the events of event, batched: POST /api/events/trackBulk";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(TrackEvent.EVENT);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(10, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        return List.of(TrackEvent.track(input, name()));
    }
}
