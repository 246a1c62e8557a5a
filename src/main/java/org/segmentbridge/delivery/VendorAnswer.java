package org.segmentbridge.delivery;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A vendor's HTTP answer: status, headers (names lowercase) and body. */
public record VendorAnswer(int status, Map<String, List<String>> headers, byte[] body) {

    /** Epoch seconds above this are absolute times; below, a count of seconds from now. */
    private static final long EPOCH_SECONDS_THRESHOLD = 1_000_000_000L;

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    public Optional<String> header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0).trim());
    }

    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    /** HTTP statuses worth retrying: timeouts, rate limits and server errors. */
    public boolean isRetryable() {
        return status == 408 || status == 429 || status >= 500;
    }

    /** {@code Retry-After} as seconds or an HTTP date, relative to {@code now}. */
    public Optional<Duration> retryAfter(Instant now) {
        return header("Retry-After").flatMap(value -> {
            try {
                return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value))));
            } catch (NumberFormatException notSeconds) {
                try {
                    Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                    return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
                } catch (DateTimeParseException notADate) {
                    return Optional.empty();
                }
            }
        });
    }

    /**
     * How long the vendor asked to wait before the next request: {@code Retry-After}, else the time until
     * {@code X-RateLimit-Reset} (Emarsys announces only the reset); empty when it announced neither.
     */
    public Optional<Duration> announcedWait(Instant now) {
        return retryAfter(now).or(() -> rateLimitReset(now)
                .map(reset -> reset.isAfter(now) ? Duration.between(now, reset) : Duration.ZERO));
    }

    /** Remaining requests in the vendor's window, from {@code X-RateLimit-Remaining} or {@code X-Rate-Limit-Remaining}. */
    public Optional<Long> rateLimitRemaining() {
        return longHeader("X-RateLimit-Remaining").or(() -> longHeader("X-Rate-Limit-Remaining"));
    }

    /** When the vendor's window resets, from {@code X-RateLimit-Reset} / {@code X-Rate-Limit-Reset} (epoch or seconds). */
    public Optional<Instant> rateLimitReset(Instant now) {
        return longHeader("X-RateLimit-Reset").or(() -> longHeader("X-Rate-Limit-Reset"))
                .map(value -> value > EPOCH_SECONDS_THRESHOLD ? Instant.ofEpochSecond(value) : now.plusSeconds(value));
    }

    private Optional<Long> longHeader(String name) {
        return header(name).flatMap(value -> {
            try {
                return Optional.of((long) Double.parseDouble(value));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }
}
