package org.segmentbridge.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.awaitility.core.ConditionTimeoutException;

/**
 * Exactly one of each of several things (a call at each vendor, say): each arrives, and then no second one of any
 * follows while they are watched together. One quiet stretch covers them all, starting once the last has arrived, so
 * each is still watched for the whole of it, and a test that expects three calls waits three seconds, not nine.
 */
public final class ExactlyOnce {

    /** How long each may take to arrive. */
    private static final Duration ARRIVAL = Duration.ofSeconds(20);
    /** How long "no second one follows" is watched for. */
    private static final Duration QUIET = Duration.ofSeconds(3);

    private final Map<String, Supplier<Integer>> counts = new LinkedHashMap<>();

    private ExactlyOnce() {
    }

    /** Starts the list with one thing: {@code what} names it in a failure, {@code count} counts it. */
    public static ExactlyOnce of(String what, Supplier<Integer> count) {
        return new ExactlyOnce().and(what, count);
    }

    public ExactlyOnce and(String what, Supplier<Integer> count) {
        counts.put(what, count);
        return this;
    }

    /** Waits for each to arrive, then watches them all for {@link #QUIET}; fails naming the first that is not one. */
    public void check() {
        counts.forEach((what, count) -> await(what).atMost(ARRIVAL).until(() -> count.get() >= 1));
        try {
            await().during(QUIET).atMost(QUIET.plusSeconds(2))
                    .until(() -> counts.values().stream().allMatch(count -> count.get() == 1));
        } catch (ConditionTimeoutException secondArrived) {
            // Counts only grow: the assertions below name the one that went past one.
        }
        counts.forEach((what, count) -> assertThat(count.get()).as(what).isEqualTo(1));
    }
}
