package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** How rate-limit and retry headers of the three vendors' styles are read. */
class VendorAnswerTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    private static VendorAnswer answer(int status, Map<String, String> headers) {
        Map<String, List<String>> lowercase = new java.util.TreeMap<>();
        headers.forEach((name, value) -> lowercase.put(name.toLowerCase(), List.of(value)));
        return new VendorAnswer(status, lowercase, new byte[0]);
    }

    @Test
    void retryAfterInSeconds() {
        assertThat(answer(429, Map.of("Retry-After", "7")).retryAfter(NOW)).contains(Duration.ofSeconds(7));
    }

    @Test
    void retryAfterAsAnHttpDate() {
        assertThat(answer(503, Map.of("Retry-After", "Sun, 22 Nov 2026 10:00:30 GMT")).retryAfter(NOW))
                .contains(Duration.ofSeconds(30));
        assertThat(answer(503, Map.of("Retry-After", "Sun, 22 Nov 2026 09:59:00 GMT")).retryAfter(NOW))
                .as("a date in the past means now").contains(Duration.ZERO);
        assertThat(answer(503, Map.of("Retry-After", "soon")).retryAfter(NOW)).isEmpty();
    }

    @Test
    void rateLimitHeadersInEitherSpellingWithResetAsSecondsOrEpoch() {
        VendorAnswer emarsysStyle = answer(200, Map.of("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "42"));
        assertThat(emarsysStyle.rateLimitRemaining()).contains(0L);
        assertThat(emarsysStyle.rateLimitReset(NOW)).contains(NOW.plusSeconds(42));

        long epoch = NOW.plusSeconds(90).getEpochSecond();
        VendorAnswer sailthruStyle = answer(200, Map.of("X-Rate-Limit-Remaining", "3", "X-Rate-Limit-Reset", Long.toString(epoch)));
        assertThat(sailthruStyle.rateLimitRemaining()).contains(3L);
        assertThat(sailthruStyle.rateLimitReset(NOW)).contains(NOW.plusSeconds(90));
    }

    @Test
    void statusAloneDecidesWhenTheAnswerHasNoItemDetail() {
        assertThat(Verdict.byStatus(answer(204, Map.of()), 2)).containsExactly(Verdict.DELIVERED, Verdict.DELIVERED);
        assertThat(Verdict.byStatus(answer(408, Map.of()), 1).get(0)).isInstanceOf(Verdict.Retry.class);
        assertThat(Verdict.byStatus(answer(500, Map.of()), 1).get(0)).isInstanceOf(Verdict.Retry.class);
        assertThat(Verdict.byStatus(answer(400, Map.of()), 1).get(0)).isEqualTo(new Verdict.Failed(400, null, "HTTP 400"));
        assertThat(Verdict.byStatus(answer(400, Map.of()), 2).get(0)).isEqualTo(new Verdict.SplitBatch(400, "HTTP 400"));
    }
}
