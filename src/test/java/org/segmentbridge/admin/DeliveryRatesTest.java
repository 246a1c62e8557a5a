package org.segmentbridge.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The last minute of the delivery meters, on a clock the test sets: what happened within it counts, nothing older. */
class DeliveryRatesTest {

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final Instant start = Instant.parse("2026-01-01T10:00:00Z");
    private final DeliveryRates rates = new DeliveryRates(meters, List.of("iterable", "sailthru"), start);

    @Test
    void everythingSinceTheStartCountsWhileTheBridgeIsYoungerThanAMinute() {
        items("iterable", "event", "delivered", 3);
        items("iterable", "user-update", "delivered", 2);
        items("iterable", "event", "dead_lettered", 1);
        rateLimited("iterable", "event", 4);
        rates.sample(start.plusSeconds(5));
        items("iterable", "event", "retried", 6);

        assertThat(rates.lastMinute("iterable", start.plusSeconds(40))).isEqualTo(new DeliveryRates.Counts(5, 6, 1, 4));
        assertThat(rates.lastMinute("sailthru", start.plusSeconds(40))).isEqualTo(DeliveryRates.Counts.NONE);
    }

    @Test
    void onlyWhatHappenedSinceTheSampleAMinuteAgoCounts() {
        items("iterable", "event", "delivered", 10);
        for (int second = 5; second <= 60; second += 5) {
            rates.sample(start.plusSeconds(second));
        }
        items("iterable", "event", "delivered", 7);
        rates.sample(start.plusSeconds(65));
        items("iterable", "event", "delivered", 1);

        // At 1:05 the base is the sample of 0:05, after the first ten: the seven and the one count.
        assertThat(rates.lastMinute("iterable", start.plusSeconds(65)).delivered()).isEqualTo(8);
        // At 2:05, nothing was sampled after 1:05: the base is that sample, and only the last one counts.
        assertThat(rates.lastMinute("iterable", start.plusSeconds(125)).delivered()).isEqualTo(1);
        assertThat(rates.total("iterable").delivered()).isEqualTo(18);
    }

    private void items(String destination, String action, String outcome, int count) {
        Counter.builder("bridge.delivery.items").tag("destination", destination).tag("action", action).tag("outcome", outcome)
                .register(meters).increment(count);
    }

    private void rateLimited(String destination, String action, int count) {
        Counter.builder("bridge.delivery.rate.limited").tag("destination", destination).tag("action", action)
                .register(meters).increment(count);
    }
}
