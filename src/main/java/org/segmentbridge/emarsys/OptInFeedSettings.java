package org.segmentbridge.emarsys;

import java.time.Duration;
import java.util.Locale;

import org.segmentbridge.SettingsReader;

/** The opt-in feed's settings ({@code bridge.emarsys.optin-feed.*}); a bad value names its key. */
record OptInFeedSettings(Duration every, TimeRange timeRange, Duration echoGrace, Duration pollEvery, Duration pollTimeout) {

    /**
     * How the export's {@code time_range} is written. Emarsys accepts dates (YYYY-MM-DD); date and time only once its
     * support has enabled it for the account.
     */
    enum TimeRange { DATE, DATETIME }

    static OptInFeedSettings from(SettingsReader reader) {
        String rangeKey = "bridge.emarsys.optin-feed.time-range";
        String range = reader.required(rangeKey);
        TimeRange timeRange = switch (range.toLowerCase(Locale.ROOT)) {
            case "date" -> TimeRange.DATE;
            case "datetime" -> TimeRange.DATETIME;
            default -> throw new IllegalArgumentException("Setting " + rangeKey + " must be date or datetime, got '" + range + "'");
        };
        return new OptInFeedSettings(reader.duration("bridge.emarsys.optin-feed.every"), timeRange,
                reader.duration("bridge.emarsys.optin-feed.echo-grace"), reader.duration("bridge.emarsys.optin-feed.poll-every"),
                reader.duration("bridge.emarsys.optin-feed.poll-timeout"));
    }
}
