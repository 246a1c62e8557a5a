package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pacer's window on a clock this test moves (milliseconds): a request starts only once the request N before it
 * ended a period ago, so however late each one reaches the vendor within its exchange, no period holds more than N
 * arrivals; a request whose end is never reported frees its slot at its latest end; an unsent request gives its slot
 * back. And the pacer holds a pause.
 */
class SlidingWindowTest {

    private static final int N = 3;
    private static final long PERIOD = 1000;
    private static final long LONGEST = 5000;

    private long now;
    private final SlidingWindow window = new SlidingWindow(N, PERIOD, () -> now);

    @Test
    void theRequestNAfterAnotherStartsAPeriodAfterThatOneEnded() {
        for (int request = 0; request < N; request++) {
            assertThat(window.tryStart(LONGEST)).as("request %d of an empty window", request).isNotNull();
        }
        assertThat(window.tryStart(LONGEST)).as("request N + 1 while the first is in flight").isNull();
        assertThat(window.untilFree()).as("the first ends now at the soonest").isEqualTo(PERIOD);

        now = 10;
        window.end(0);
        now = 40;
        window.end(1);
        now = 1009;
        assertThat(window.tryStart(LONGEST)).as("a millisecond before the first's end is a period ago").isNull();
        assertThat(window.untilFree()).isEqualTo(1);
        now = 1010;
        assertThat(window.tryStart(LONGEST)).as("a period after the first ended").isNotNull()
                .extracting(SlidingWindow.Start::request).isEqualTo(3L);
        assertThat(window.tryStart(LONGEST)).as("the next waits for the second's end").isNull();
        assertThat(window.untilFree()).isEqualTo(30);
    }

    /**
     * Many requests with random latencies, each reaching the vendor at a random moment of its exchange, taken as soon
     * as the window lets them: every request starts a period after the one N before it ended, and no window of a
     * period, counted on arrival, ever holds more than N.
     */
    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {N, 150}) // 150: more slots than a new window holds, so it grows while the test runs
    void noPeriodEverHoldsMoreThanNArrivalsWhateverTheLatencies(int n) {
        SlidingWindow ofN = new SlidingWindow(n, PERIOD, () -> now);
        Random random = new Random(20240611);
        int requests = 3000;
        long[] started = new long[requests];
        long[] ended = new long[requests];
        long[] arrived = new long[requests];
        List<Integer> inFlight = new ArrayList<>();
        int next = 0;
        while (next < requests) {
            SlidingWindow.Start start = ofN.tryStart(LONGEST);
            if (start != null) {
                int request = (int) start.request();
                assertThat(request).isEqualTo(next++);
                started[request] = now;
                // Mostly a few milliseconds, now and then one slower than the period.
                ended[request] = now + (random.nextInt(20) == 0 ? 1 + random.nextInt(1500) : random.nextInt(30));
                arrived[request] = started[request] + (long) (random.nextDouble() * (ended[request] - started[request]));
                inFlight.add(request);
            }
            now++;
            inFlight.removeIf(request -> {
                if (ended[request] <= now) {
                    ofN.end(request);
                    return true;
                }
                return false;
            });
        }

        for (int request = n; request < requests; request++) {
            assertThat(started[request]).as("request %d's start", request).isGreaterThanOrEqualTo(ended[request - n] + PERIOD);
        }
        long[] arrivals = arrived.clone();
        Arrays.sort(arrivals);
        for (int first = 0; first + n < requests; first++) {
            assertThat(arrivals[first + n] - arrivals[first]).as("N + 1 arrivals from the %dth", first).isGreaterThanOrEqualTo(PERIOD);
        }
        // N per period plus a latency: the whole run took about requests / N periods, and no more than that. Slots are
        // taken in turn, so a slow request's slot holds back the requests after it: in a window of 150 one of the
        // slow requests (1 in 20) comes up in nearly every period, and only the upper bound is the window's own.
        double periods = (double) now / PERIOD;
        assertThat(requests / periods).as("requests per period").isLessThanOrEqualTo(n);
        if (n == N) {
            assertThat(requests / periods).as("requests per period").isGreaterThan(n * 0.8);
        }
    }

    @Test
    void aRequestWhoseEndIsNeverReportedFreesItsSlotAtItsLatestEnd() {
        for (int request = 0; request < N; request++) {
            window.tryStart(LONGEST);
        }
        window.end(1);
        window.end(2);
        now = LONGEST + PERIOD - 1;
        assertThat(window.tryStart(LONGEST)).as("before the first's latest end is a period ago").isNull();
        now = LONGEST + PERIOD;
        assertThat(window.tryStart(LONGEST)).as("once it is").isNotNull();

        // Its end, reported late, leaves the request that holds its slot now alone.
        window.end(0);
        now += 10;
        window.tryStart(LONGEST);
        window.tryStart(LONGEST);
        now += PERIOD;
        assertThat(window.tryStart(LONGEST)).as("the slot's new request is still in flight").isNull();
    }

    @Test
    void aPermitGivenBackIsAsIfNeverTakenUnlessAnotherCameAfterIt() {
        for (int request = 0; request < N - 1; request++) {
            window.end(window.tryStart(LONGEST).request());
        }
        SlidingWindow.Start unsent = window.tryStart(LONGEST);
        window.giveBack(unsent);
        assertThat(window.tryStart(LONGEST)).as("the slot given back").isNotNull()
                .extracting(SlidingWindow.Start::request).isEqualTo(unsent.request());
        assertThat(window.tryStart(LONGEST)).as("the window is full again").isNull();

        now = 0;
        SlidingWindow other = new SlidingWindow(N, PERIOD, () -> now);
        SlidingWindow.Start first = other.tryStart(LONGEST);
        other.tryStart(LONGEST);
        other.giveBack(first); // another started after it: it ended now
        other.tryStart(LONGEST);
        now = PERIOD - 1;
        assertThat(other.tryStart(LONGEST)).as("until a period after it was given back").isNull();
        now = PERIOD;
        assertThat(other.tryStart(LONGEST)).isNotNull();
    }

    @Test
    void aPauseHoldsThePacerWhateverTheWindowHas() {
        RequestPacer pacer = new RequestPacer(new Rate(100, Duration.ofSeconds(1)));
        Instant now = Instant.parse("2025-01-01T00:00:00Z");
        Duration longest = Duration.ofSeconds(30);
        pacer.tryTake(now, longest).orElseThrow().done();

        pacer.pauseUntil(now.plusSeconds(2));
        pacer.pauseUntil(now.plusSeconds(1)); // an earlier end, recorded later: the later one stays
        assertThat(pacer.tryTake(now.plusMillis(1999), longest)).as("during the pause").isEmpty();
        assertThat(pacer.waitTime(now.plusMillis(500))).isEqualTo(Duration.ofMillis(1500));
        assertThat(pacer.waitTime(now.plusSeconds(2))).isZero();
        assertThat(pacer.tryTake(now.plusSeconds(2), longest)).as("once it ended").isPresent();
    }
}
