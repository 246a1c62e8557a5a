package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The intake's quick timestamp check accepts only what the full ISO-8601 parse accepts (within the years the bridge
 * takes), and it accepts the shapes Segment's libraries write, so those skip the parse.
 */
class PlainTimestampTest {

    private static final String[] WRITTEN_BY_SENDERS = {
            "2026-11-22T10:15:30.000Z", "2026-11-22T10:15:30Z", "2026-11-22T10:15:30.123456Z", "2026-11-22T10:15:30.123456789Z",
            "2026-11-22T10:15:30.5+01:00", "2026-11-22T23:59:59-05:30", "2024-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999+18:00", "2026-11-22T10:15:30-18:00", "2026-11-22T10:15:30.000-00:00",
    };

    @Test
    void acceptsWhatSendersWrite() {
        for (String text : WRITTEN_BY_SENDERS) {
            assertThat(SpecValidator.isPlainTimestamp(text)).as(text).isTrue();
            assertThat(fullParseAccepts(text)).as(text).isTrue();
        }
    }

    @Test
    void leavesEverythingElseToTheFullParse() {
        for (String text : List.of("2026-02-29T10:15:30Z", "2025-13-01T10:15:30Z", "2026-11-31T10:15:30Z", "2026-11-22T24:00:00Z",
                "2026-11-22T10:60:30Z", "2026-11-22T10:15:60Z", "2026-11-22T10:15:30.Z", "2026-11-22T10:15:30.1234567890Z",
                "2026-11-22T10:15:30+19:00", "2026-11-22T10:15:30+18:01", "2026-11-22T10:15:30", "2026-11-22 10:15:30Z",
                "2026-11-22t10:15:30z", "2026-11-22T10:15Z", "2026-11-22T10:15:30+0100", "+2026-11-22T10:15:30Z",
                "2026-11-22T10:15:30.000Z ", "٢٠٢٦-11-22T10:15:30Z", "2026-11-22T10:15:30.12٣Z")) {
            assertThat(SpecValidator.isPlainTimestamp(text)).as(text).isFalse();
        }
    }

    /** Every accepted text, of many near-misses made from valid ones, is one the full parse accepts too. */
    @Test
    void acceptsNothingTheFullParseRefuses() {
        Random random = new Random(20261203);
        String alphabet = "0123456789-:T.Z+ t9z0";
        List<String> accepted = new ArrayList<>();
        for (int round = 0; round < 200_000; round++) {
            StringBuilder text = new StringBuilder(WRITTEN_BY_SENDERS[random.nextInt(WRITTEN_BY_SENDERS.length)]);
            for (int change = 1 + random.nextInt(3); change > 0; change--) {
                int at = random.nextInt(text.length());
                switch (random.nextInt(3)) {
                    case 0 -> text.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> text.deleteCharAt(at);
                    default -> text.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            if (SpecValidator.isPlainTimestamp(text.toString())) {
                accepted.add(text.toString());
                assertThat(fullParseAccepts(text.toString())).as(text.toString()).isTrue();
            }
        }
        assertThat(accepted).as("near-misses that are still valid timestamps, checked above").hasSizeGreaterThan(1000);
    }

    private static boolean fullParseAccepts(String text) {
        try {
            int year = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).getYear();
            return year >= 0 && year <= 9999;
        } catch (java.time.DateTimeException e) {
            return false;
        }
    }
}
