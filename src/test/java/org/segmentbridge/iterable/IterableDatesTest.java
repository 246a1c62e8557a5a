package org.segmentbridge.iterable;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** dataFields dates as Iterable recognises them: date-times rewritten in UTC, everything else untouched. */
class IterableDatesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "\"2026-11-22T10:00:00Z\"          | \"2026-11-22 10:00:00 +00:00\"",
            "\"2026-11-22T10:00:00.123Z\"      | \"2026-11-22 10:00:00 +00:00\"",
            "\"2026-11-22T12:30:00+02:00\"     | \"2026-11-22 10:30:00 +00:00\"",
            "\"2026-11-22T01:00:00-05:00\"     | \"2026-11-22 06:00:00 +00:00\"",
            "\"2026-11-22T10:00:00\"           | \"2026-11-22 10:00:00 +00:00\"",
            "\"2026-11-22\"                    | \"2026-11-22\"",
            "\"1234\"                          | \"1234\"",
            "\"2026-13-45T99:00:00Z\"          | \"2026-13-45T99:00:00Z\"",
            "\"next Tuesday\"                  | \"next Tuesday\"",
            "1700000000                        | 1700000000",
            "true                              | true",
            "[\"2026-11-22T10:00:00Z\",\"x\"]  | [\"2026-11-22 10:00:00 +00:00\",\"x\"]",
            "{\"a\":{\"b\":\"2026-01-02T03:04:05Z\"}} | {\"a\":{\"b\":\"2026-01-02 03:04:05 +00:00\"}}"})
    void convertsOnlyDateTimes(String input, String expected) throws Exception {
        assertThat(IterableConnector.withIterableDates(IterableConnector.JSON.readTree(input)))
                .isEqualTo(IterableConnector.JSON.readTree(expected));
    }
}
