package org.segmentbridge.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** Contexts nest: closing one puts back exactly what the keys it set held before, and leaves every other key alone. */
class LogContextTest {

    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void closingPutsBackTheOuterValuesAndRemovesWhatWasNotThere() {
        try (LogContext destination = LogContext.with(LogContext.DESTINATION, "iterable")) {
            try (LogContext event = LogContext.with(LogContext.MESSAGE_ID, "m-1", LogContext.DESTINATION, "sailthru")) {
                assertThat(MDC.get(LogContext.MESSAGE_ID)).isEqualTo("m-1");
                assertThat(MDC.get(LogContext.DESTINATION)).isEqualTo("sailthru");
            }
            assertThat(MDC.get(LogContext.MESSAGE_ID)).isNull();
            assertThat(MDC.get(LogContext.DESTINATION)).isEqualTo("iterable");
        }
        assertThat(MDC.getCopyOfContextMap()).isNullOrEmpty();
    }

    @Test
    void anEmptyValueLeavesItsKeyAsItWasAndKeysSetByOthersStay() {
        MDC.put("traceId", "t-7");
        try (LogContext route = LogContext.with(LogContext.ROUTE, "iterable-purchases")) {
            try (LogContext nothing = LogContext.with(LogContext.ROUTE, "", LogContext.ACTION, null)) {
                assertThat(MDC.get(LogContext.ROUTE)).isEqualTo("iterable-purchases");
                assertThat(MDC.get(LogContext.ACTION)).isNull();
            }
            assertThat(MDC.get(LogContext.ROUTE)).isEqualTo("iterable-purchases");
        }
        assertThat(MDC.get(LogContext.ROUTE)).isNull();
        assertThat(MDC.get("traceId")).isEqualTo("t-7");
    }

    @Test
    void aKeyNamedTwiceGetsItsFirstValueBack() {
        try (LogContext outer = LogContext.with(LogContext.ACTION, "trackBulk")) {
            try (LogContext inner = LogContext.with(LogContext.ACTION, "a", LogContext.ACTION, "b")) {
                assertThat(MDC.get(LogContext.ACTION)).isEqualTo("b");
            }
            assertThat(MDC.get(LogContext.ACTION)).isEqualTo("trackBulk");
        }
    }

    @Test
    void argumentsMustBePairs() {
        assertThatThrownBy(() -> LogContext.with(LogContext.ROUTE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key, value pairs");
    }
}
