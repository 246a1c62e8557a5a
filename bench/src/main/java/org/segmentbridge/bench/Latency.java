package org.segmentbridge.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

/**
 * Intake to vendor request with the shipped four destinations delivering at once ({@link AllDestinations}), open loop
 * at a fixed rate of events: requests of {@code perRequest} events to /v1/batch (as Segment's server libraries send
 * them), identifies and tracks of new people, each stamped with its request's due time. Each fake subtracts the stamp
 * from the time the vendor request carrying the event reached it, so every endpoint of every destination has its own
 * figure (Iterable's events/track includes the onboarding event each new person's identify sends).
 */
final class Latency {

    static final String USERS_UPDATE = "iterable POST /api/users/update [" + BenchRun.ITERABLE_KEY + "]";
    static final String EVENTS_TRACK = "iterable POST /api/events/track [" + BenchRun.ITERABLE_KEY + "]";

    /**
     * {@code endpoints}: intake-to-vendor latency by fake endpoint; {@code offered}: events sent to each destination;
     * {@code drained}: whether the bridge held nothing any more before the timeout, {@code secondsToDeliverAll} after
     * the first event was due.
     */
    record Result(double rate, int perRequest, double seconds, long sent, long non200, Histogram intakeAnswer,
                  Map<String, Histogram> endpoints, Map<String, Long> offered, boolean drained, double secondsToDeliverAll,
                  List<Long> slowestEachSecondMicros) {

        /** The slowest item of each second by due time, every endpoint's together, in ms: where a p99 comes from. */
        String timeline() {
            return String.join(" ", slowestEachSecondMicros.stream().map(micros -> String.valueOf(Math.round(micros / 1000.0))).toList());
        }

        /** The latencies of one destination's endpoints together. */
        Histogram destination(String destination) {
            Histogram all = BenchRun.histogram();
            endpoints.forEach((name, histogram) -> {
                if (name.startsWith(destination + " ")) {
                    all.add(histogram);
                }
            });
            return all;
        }
    }

    private Latency() {
    }

    /**
     * A warm-up at the lowest rate, then each rate for its time; after each, the bridge is awaited until it holds
     * nothing (up to {@code drainTimeout} seconds), so a rate the bridge cannot sustain does not spill into the next.
     */
    static void run(BenchRun bench, FakeVendors fakes, BenchRun.Bridge bridge, Load load, int perRequest, double warmSeconds,
                    double[][] ratesAndSeconds, double drainTimeout) throws Exception {
        AtomicLong sequence = new AtomicLong();
        double lowest = java.util.Arrays.stream(ratesAndSeconds).mapToDouble(pair -> pair[0]).min().orElse(100);
        send(bench, load, lowest, perRequest, warmSeconds, sequence, "lat-warm");
        AllDestinations.awaitEmpty(bridge, drainTimeout);
        bench.out().collect429s(fakes);
        fakes.reset();
        for (double[] pair : ratesAndSeconds) {
            double rate = pair[0];
            double seconds = pair[1];
            long started = System.nanoTime();
            long first = sequence.get();
            Load.OpenLoopResult answers = send(bench, load, rate, perRequest, seconds, sequence, "lat-" + (int) rate);
            boolean drained = AllDestinations.awaitEmpty(bridge, drainTimeout);
            double took = (System.nanoTime() - started) / 1e9;
            Map<String, Histogram> endpoints = new LinkedHashMap<>();
            java.util.TreeMap<Long, Long> slowest = new java.util.TreeMap<>();
            AllDestinations.endpoints(fakes).forEach((name, endpoint) -> {
                endpoints.put(name, endpoint.latency());
                endpoint.slowestByDueSecond().forEach((second, micros) -> slowest.merge(second, micros, Math::max));
            });
            Result result = new Result(rate, perRequest, seconds, answers.sent(), answers.failed(), answers.answerMicros(),
                    endpoints, AllDestinations.offered(first, sequence.get(), rate), drained, took, List.copyOf(slowest.values()));
            bench.out().latency.add(result);
            StringBuilder line = new StringBuilder(String.format("latency at %.0f/s (%s):", rate, drained ? "drained" : "NOT drained"));
            for (String destination : AllDestinations.DESTINATIONS) {
                Histogram histogram = result.destination(destination);
                line.append(String.format(" %s p50 %.1f ms p99 %.1f ms (%d);", destination, ms(histogram, 50), ms(histogram, 99),
                        histogram.getTotalCount()));
            }
            BenchRun.log(line + String.format(" intake non-200 %d; the slowest item of each second by due time (ms): %s",
                    answers.failed(), result.timeline()));
            bench.out().collect429s(fakes);
            fakes.reset();
        }
    }

    static double ms(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    /** Events {@code sequence}.. at {@code rate} for {@code seconds}, in requests of {@code perRequest}. */
    static Load.OpenLoopResult send(BenchRun bench, Load load, double rate, int perRequest, double seconds, AtomicLong sequence,
                                    String prefix) throws Exception {
        return load.openLoop(rate / perRequest, seconds, due -> {
            List<ObjectNode> batch = new ArrayList<>();
            for (int i = 0; i < perRequest; i++) {
                batch.add(AllDestinations.event(bench.events(), prefix, sequence.getAndIncrement(), due, rate));
            }
            return new Load.Request("/v1/batch", Events.batches(batch, perRequest).get(0));
        });
    }
}
