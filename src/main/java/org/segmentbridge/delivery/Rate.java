package org.segmentbridge.delivery;

import java.time.Duration;

/** At most {@code requests} requests in any window of length {@code period}. */
public record Rate(long requests, Duration period) {

    public Rate {
        if (requests <= 0 || period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("a rate needs a positive number of requests and a positive period");
        }
    }

    @Override
    public String toString() {
        return requests + " per " + period;
    }
}
