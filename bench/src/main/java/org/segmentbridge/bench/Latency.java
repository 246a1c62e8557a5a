package org.segmentbridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

/**
 * Intake to vendor request, open loop at a fixed rate of events: requests of {@code perRequest} events to /v1/batch
 * (as Segment's server libraries send them), half identifies and half tracks, each of a new person, stamped with the
 * request's due time and flagged for the iterable destination only, whose single-event endpoints take that rate
 * (users/update 500/s, events/track 2000/s; each new person's identify also sends the onboarding event). The fake
 * Iterable subtracts the stamp from the time the vendor request reached it.
 */
final class Latency {

    static final String USERS_UPDATE = "iterable POST /api/users/update [" + BenchRun.ITERABLE_KEY + "]";
    static final String EVENTS_TRACK = "iterable POST /api/events/track [" + BenchRun.ITERABLE_KEY + "]";

    record Result(double rate, int perRequest, double seconds, long sent, long non200, Histogram intakeAnswer, Histogram usersUpdate,
                  Histogram eventsTrack, long usersUpdateExpected, long eventsTrackExpected, double secondsToDeliverAll) {
    }

    private Latency() {
    }

    /**
     * A warm-up at the lowest rate, then each rate for its time; before each, the previous one's events are awaited
     * (up to {@code drainTimeout} seconds), so a rate the bridge cannot sustain does not spill into the next.
     */
    static void run(BenchRun bench, Load load, int perRequest, double warmSeconds, double[][] ratesAndSeconds,
                    int drainTimeout) throws Exception {
        AtomicLong sequence = new AtomicLong();
        FakeVendors fakes = bench.fakes();
        fakes.reset();
        double lowest = java.util.Arrays.stream(ratesAndSeconds).mapToDouble(pair -> pair[0]).min().orElse(100);
        Sent warm = send(bench, load, lowest, perRequest, warmSeconds, sequence, "lat-warm");
        await(fakes, warm, drainTimeout);
        bench.out().collect429s(fakes);
        fakes.reset();
        for (double[] pair : ratesAndSeconds) {
            double rate = pair[0];
            double seconds = pair[1];
            long started = System.nanoTime();
            Sent measured = send(bench, load, rate, perRequest, seconds, sequence, "lat-" + (int) rate);
            await(fakes, measured, drainTimeout);
            double drained = (System.nanoTime() - started) / 1e9;
            Result result = new Result(rate, perRequest, seconds, measured.answers().sent(), measured.answers().failed(),
                    measured.answers().answerMicros(), fakes.endpoint(USERS_UPDATE).latency(), fakes.endpoint(EVENTS_TRACK).latency(),
                    measured.identifies(), measured.tracks(), drained);
            bench.out().latency.add(result);
            BenchRun.log(String.format("latency at %.0f/s: users/update p50 %.1f ms p99 %.1f ms (%d of %d), events/track p50 %.1f ms p99 %.1f ms (%d of %d), all delivered %.1f s after the first was sent",
                    rate, ms(result.usersUpdate(), 50), ms(result.usersUpdate(), 99), result.usersUpdate().getTotalCount(),
                    result.usersUpdateExpected(), ms(result.eventsTrack(), 50), ms(result.eventsTrack(), 99),
                    result.eventsTrack().getTotalCount(), result.eventsTrackExpected(), drained));
            bench.out().collect429s(fakes);
            fakes.reset();
        }
    }

    static double ms(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    record Sent(long identifies, long tracks, Load.OpenLoopResult answers) {
    }

    private static Sent send(BenchRun bench, Load load, double rate, int perRequest, double seconds, AtomicLong sequence,
                             String prefix) throws Exception {
        long first = sequence.get();
        Load.OpenLoopResult answers = load.openLoop(rate / perRequest, seconds, due -> {
            List<ObjectNode> batch = new ArrayList<>();
            for (int i = 0; i < perRequest; i++) {
                batch.add(event(bench, sequence.getAndIncrement(), due, prefix));
            }
            return new Load.Request("/v1/batch", Events.batches(batch, perRequest).get(0));
        });
        long identifies = 0;
        long tracks = 0;
        for (long n = first; n < sequence.get(); n++) {
            if (n % 2 == 0) {
                identifies++;
            } else {
                tracks++;
            }
        }
        return new Sent(identifies, tracks, answers);
    }

    private static ObjectNode event(BenchRun bench, long n, long dueMicros, String prefix) {
        ObjectNode event = n % 2 == 0
                ? bench.events().identify(prefix + "-i-" + n, prefix + "-msg-" + n)
                : bench.events().track(prefix + "-t-" + n, prefix + "-msg-" + n);
        return Events.onlyFor(Events.stamped(event, dueMicros), Set.of("iterable"));
    }

    /** Waits until the fake saw as many stamped users/update and events/track items as were sent, or the timeout. */
    private static void await(FakeVendors fakes, Sent expected, int timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            // events/track also gets each new person's onboarding event (not stamped): wait for those too.
            if (fakes.endpoint(USERS_UPDATE).latency().getTotalCount() >= expected.identifies()
                    && fakes.endpoint(EVENTS_TRACK).latency().getTotalCount() >= expected.tracks()
                    && fakes.endpoint(EVENTS_TRACK).items() >= expected.identifies() + expected.tracks()) {
                return;
            }
            Thread.sleep(100);
        }
    }
}
