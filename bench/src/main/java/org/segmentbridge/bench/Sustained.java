package org.segmentbridge.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

/**
 * Sustained end to end: the shipped four destinations delivering ({@link AllDestinations}) while the intake takes a
 * fixed open-loop rate for minutes. Every {@value #SAMPLE_SECONDS} s it reads the bridge's backlog (its
 * {@code bridge_intake_log_depth} and each {@code bridge_queue_depth}), what each destination's fakes received and
 * the bridge's RSS. The backlog is flat when its least-squares slope over the samples after the first fifth of the
 * run (the queues filling up to what is in flight and in batches) is at most {@value #FLAT_SHARE} of the offered rate;
 * a destination is starved when its own queue's slope is above that share of what it is offered.
 */
final class Sustained {

    static final int SAMPLE_SECONDS = 5;
    static final double FLAT_SHARE = 0.02;

    /** {@code received}: items each destination's fakes received so far. */
    record Sample(double at, long sentEvents, AllDestinations.Backlog backlog, Map<String, Long> received, long rssKib) {
    }

    record Result(double rate, int perRequest, double seconds, long sent, long non200, Histogram intakeAnswer,
                  List<Sample> samples, double slope, Map<String, Double> queueSlopes, Map<String, Double> offeredRates,
                  Map<String, Double> receivedRates, long rssPeakKib) {

        boolean flat() {
            return !Double.isNaN(slope) && slope <= FLAT_SHARE * rate;
        }

        List<String> starved() {
            List<String> starved = new ArrayList<>();
            queueSlopes.forEach((destination, queueSlope) -> {
                if (Double.isNaN(queueSlope) || queueSlope > FLAT_SHARE * Math.max(1, offeredRates.getOrDefault(destination, 0.0))) {
                    starved.add(destination);
                }
            });
            return starved;
        }
    }

    private Sustained() {
    }

    static Result run(BenchRun bench, FakeVendors fakes, BenchRun.Bridge bridge, Load load, double rate, int perRequest,
                      double seconds) throws Exception {
        fakes.reset();
        AtomicLong sequence = new AtomicLong();
        java.util.concurrent.ExecutorService sender = java.util.concurrent.Executors.newSingleThreadExecutor();
        List<Sample> samples = new ArrayList<>();
        long started = System.nanoTime();
        CompletableFuture<Load.OpenLoopResult> sending;
        try {
            sending = CompletableFuture.supplyAsync(() -> {
                try {
                    return Latency.send(bench, load, rate, perRequest, seconds, sequence, "sus");
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, sender);
            long next = started;
            while (!sending.isDone()) {
                next += SAMPLE_SECONDS * 1_000_000_000L;
                while (!sending.isDone() && System.nanoTime() < next) {
                    Thread.sleep(50);
                }
                if (System.nanoTime() >= next) {
                    samples.add(sample(fakes, bridge, started, sequence.get()));
                    Sample last = samples.get(samples.size() - 1);
                    BenchRun.log(String.format("sustained at %.0f/s, %.0f s: backlog %,.0f (intake log %,.0f, queues %s), received %s, RSS %d MiB",
                            rate, last.at(), last.backlog().total(), last.backlog().intakeLog(), last.backlog().queues(), last.received(),
                            last.rssKib() / 1024));
                }
            }
        } finally {
            sender.shutdown();
        }
        Load.OpenLoopResult answers = sending.get();
        double from = seconds * 0.2;
        // Samples taken while answers were still awaited, after the last request was due, are shown but not fitted.
        List<Sample> steady = samples.stream().filter(sample -> sample.at() >= from && sample.at() <= seconds + 1).toList();
        double slope = slope(steady, sample -> sample.backlog().total());
        Map<String, Long> offered = AllDestinations.offered(0, sequence.get(), rate);
        Map<String, Double> queueSlopes = new LinkedHashMap<>();
        Map<String, Double> offeredRates = new LinkedHashMap<>();
        Map<String, Double> receivedRates = new LinkedHashMap<>();
        for (String destination : AllDestinations.DESTINATIONS) {
            queueSlopes.put(destination, slope(steady, sample -> sample.backlog().queues().getOrDefault(destination, 0.0)));
            offeredRates.put(destination, offered.get(destination) / seconds);
            receivedRates.put(destination, steady.size() < 2 ? Double.NaN
                    : (steady.get(steady.size() - 1).received().get(destination) - steady.get(0).received().get(destination))
                    / (steady.get(steady.size() - 1).at() - steady.get(0).at()));
        }
        long rssPeak = samples.stream().mapToLong(Sample::rssKib).max().orElse(-1);
        return new Result(rate, perRequest, seconds, answers.sent(), answers.failed(), answers.answerMicros(), samples, slope,
                queueSlopes, offeredRates, receivedRates, rssPeak);
    }

    private static Sample sample(FakeVendors fakes, BenchRun.Bridge bridge, long started, long sent) {
        Map<String, Long> received = new LinkedHashMap<>();
        AllDestinations.DESTINATIONS.forEach(destination -> received.put(destination, 0L));
        fakes.endpoints().forEach((name, endpoint) -> {
            String vendor = name.substring(0, name.indexOf(' '));
            if (received.containsKey(vendor) && !name.startsWith("emarsys GET")) {
                received.merge(vendor, endpoint.items(), Long::sum);
            }
        });
        AllDestinations.Backlog backlog = AllDestinations.backlog(bridge.metrics());
        return new Sample((System.nanoTime() - started) / 1e9, sent, backlog, received, Processes.rssKib(bridge.process().pid()));
    }

    /** Least-squares slope of {@code value} over the samples' times, per second; NaN with fewer than 3 samples. */
    private static double slope(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> value) {
        if (samples.size() < 3) {
            return Double.NaN;
        }
        double meanT = samples.stream().mapToDouble(Sample::at).average().orElse(0);
        double meanV = samples.stream().mapToDouble(value).average().orElse(0);
        double covariance = 0;
        double variance = 0;
        for (Sample sample : samples) {
            covariance += (sample.at() - meanT) * (value.applyAsDouble(sample) - meanV);
            variance += (sample.at() - meanT) * (sample.at() - meanT);
        }
        return variance == 0 ? Double.NaN : covariance / variance;
    }
}
