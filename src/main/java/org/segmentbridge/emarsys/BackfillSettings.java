package org.segmentbridge.emarsys;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.segmentbridge.SettingsReader;

/** The engagement backfill's settings ({@code bridge.emarsys.backfill.*}); a bad value names its key. */
record BackfillSettings(Duration window, Duration lookback, Duration settle, List<ResponseType> types,
                        Duration pollEvery, Duration pollTimeout) {

    /**
     * An Emarsys response type and the Segment Email spec event it becomes. Emarsys' query has no unsubscribe type
     * (its documented types: opened, not_opened, received, clicked, not_clicked, bounced, hard_bounced, soft_bounced,
     * block_bounced): opt-outs come from the contact-change export ({@link OptInFeed}).
     */
    record ResponseType(String name, String event, Map<String, String> properties) {
    }

    static final Map<String, ResponseType> TYPES = Map.of(
            "opened", new ResponseType("opened", "Email Opened", Map.of()),
            "clicked", new ResponseType("clicked", "Email Link Clicked", Map.of()),
            "bounced", new ResponseType("bounced", "Email Bounced", Map.of()),
            "hard_bounced", new ResponseType("hard_bounced", "Email Bounced", Map.of("bounce_type", "hard")),
            "soft_bounced", new ResponseType("soft_bounced", "Email Bounced", Map.of("bounce_type", "soft")),
            "block_bounced", new ResponseType("block_bounced", "Email Bounced", Map.of("bounce_type", "block")));

    private static final Duration DAY = Duration.ofDays(1);

    static BackfillSettings from(SettingsReader reader) {
        String windowKey = "bridge.emarsys.backfill.window";
        Duration window = reader.duration(windowKey);
        // Emarsys' query takes dates, not times: a window of part of a day could not be asked for.
        if (window.toMillis() % DAY.toMillis() != 0) {
            throw new IllegalArgumentException("Setting " + windowKey + " must be whole days (1d, 7d …): Emarsys' "
                    + "responses query takes dates, got '" + reader.required(windowKey) + "'");
        }
        String typesKey = "bridge.emarsys.backfill.types";
        List<ResponseType> types = new ArrayList<>();
        for (String name : reader.list(typesKey)) {
            ResponseType type = TYPES.get(name);
            if (type == null) {
                throw new IllegalArgumentException("Setting " + typesKey + ": '" + name + "' is not one of "
                        + String.join(", ", TYPES.keySet().stream().sorted().toList()));
            }
            if (!types.contains(type)) {
                types.add(type);
            }
        }
        if (types.isEmpty()) {
            throw new IllegalArgumentException("Setting " + typesKey + " is missing or empty: name at least one response type");
        }
        return new BackfillSettings(window, reader.duration("bridge.emarsys.backfill.lookback"),
                reader.duration("bridge.emarsys.backfill.settle"), List.copyOf(types),
                reader.duration("bridge.emarsys.backfill.poll-every"), reader.duration("bridge.emarsys.backfill.poll-timeout"));
    }
}
