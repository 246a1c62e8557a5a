package org.segmentbridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/**
 * Each destination's processing rate (its routes, mappings, batching and requests) when no vendor limits it: a backlog
 * of identifies and tracks for new people, every event to every one of the shipped four destinations
 * ({@link AllDestinations}), is queued by a bridge with delivery disabled and processed by its processor; a bridge
 * with delivery enabled then drains it on the same data folder, all four at once, against fakes that never answer
 * 429, for at most a fixed time. A destination's figure is the items its fakes received per second while all four
 * were receiving at their steady pace: from the last of the moments at which each had received 10 % of its items to the
 * first of the moments at which one had received 95 %. Its steady rate over its own drain (20 % to 95 % of its items)
 * is given beside it: a destination that finishes later has the cores to itself for a while, and that rate counts it.
 */
final class Processing {

    /**
     * {@code items}: items received at the endpoint (or all the destination's endpoints together); {@code offered}: the
     * events of the backlog, every one of them for every destination.
     */
    record Row(String destination, String endpoint, long offered, long items, long requests, double steadyRate, double togetherRate) {

        /** The endpoint of a destination's row that sums all its endpoints. */
        static final String ALL_ENDPOINTS = "all endpoints";

        boolean allEndpoints() {
            return endpoint.equals(ALL_ENDPOINTS);
        }

        /** Items of the backlog's events, on average. */
        double itemsPerEvent() {
            return offered == 0 ? 0 : (double) items / offered;
        }

        /**
         * Of the all-endpoints row: the backlog's events processed per second while all four destinations received,
         * which issue 20's target counts. A destination may make more than one item of an event (Iterable makes an
         * onboarding event of a new person's identify), so its items per second overstate the events it processes.
         */
        double eventsPerSecond() {
            return events(togetherRate);
        }

        /** Of the all-endpoints row: events per second over its own drain, the others finished or not. */
        double steadyEventsPerSecond() {
            return events(steadyRate);
        }

        private double events(double itemsPerSecond) {
            double perEvent = itemsPerEvent();
            return perEvent == 0 ? 0 : itemsPerSecond / perEvent;
        }
    }

    /** Issue 20's target for each destination while all four receive, in events per second. */
    static final double TARGET_EVENTS_PER_SECOND = 3000;

    /** The destinations that send one request per item: the bare Camel client's figure is their ceiling. */
    static final List<String> SINGLE_EVENT_DESTINATIONS = List.of("sailthru", "iterable");

    private final BenchRun bench;
    private final FakeVendors fakes;
    private long events;

    Processing(BenchRun bench, FakeVendors fakes) {
        this.bench = bench;
        this.fakes = fakes;
    }

    /**
     * The share of its items by which every destination has warmed up: the bridge warms up in the drain's first 5 s or
     * so, by which the slowest destination has received about 7 % of the backlog.
     */
    static final double TOGETHER_FROM = 0.1;

    /**
     * The stretch of the drain in which every destination received at its steady pace: from the last moment at which
     * one had received {@link #TOGETHER_FROM} of its items to the first at which one had received 95 %, as nanoTimes,
     * and the drain's first item. Empty (start ≥ end) when one finished before another had warmed up: the backlog is
     * too small.
     */
    record Together(long fromNanos, long toNanos, long drainStartNanos) {

        boolean empty() {
            return toNanos <= fromNanos;
        }

        double seconds() {
            return (toNanos - fromNanos) / 1e9;
        }

        double fromSecond() {
            return (fromNanos - drainStartNanos) / 1e9;
        }

        double toSecond() {
            return (toNanos - drainStartNanos) / 1e9;
        }

        /** The endpoint's items per second in the stretch; NaN when it is empty. */
        double rate(FakeVendors.Endpoint endpoint) {
            return empty() ? Double.NaN : endpoint.itemsBetween(fromNanos, toNanos) / seconds();
        }
    }

    /**
     * CPU seconds spent over the drain (from its first item until the bridge held nothing): the draining bridge's own,
     * and the harness', which in the drain is the fakes answering.
     */
    record DrainCpu(double bridgeSeconds, double fakesSeconds) {
    }

    /** The shares of its items at which each destination's progress through the drain is reported. */
    static final double[] PROGRESS_SHARES = {0.1, 0.5, 0.95, 1.0};

    /**
     * When a destination had received each of {@link #PROGRESS_SHARES} of its items, in seconds from the drain's first
     * item: it shows how the destinations shared the cores, which the rates alone do not.
     */
    record Progress(String destination, double[] seconds) {
    }

    private static Progress progress(String destination, FakeVendors.Endpoint received, Together together) {
        double[] seconds = new double[PROGRESS_SHARES.length];
        for (int i = 0; i < seconds.length; i++) {
            seconds[i] = (received.momentOf(PROGRESS_SHARES[i]) - together.drainStartNanos()) / 1e9;
        }
        return new Progress(destination, seconds);
    }

    private static Together together(java.util.Collection<FakeVendors.Endpoint> destinations) {
        long from = Long.MIN_VALUE;
        long to = Long.MAX_VALUE;
        long first = Long.MAX_VALUE;
        for (FakeVendors.Endpoint destination : destinations) {
            from = Math.max(from, destination.momentOf(TOGETHER_FROM));
            to = Math.min(to, destination.momentOf(0.95));
            first = Math.min(first, destination.momentOf(0));
        }
        return destinations.isEmpty() ? new Together(0, 0, 0) : new Together(from, to, first);
    }

    /** Queues {@code count} events through /v1/batch and waits until the processor has published them all. */
    void load(BenchRun.Bridge loader, long count) throws Exception {
        events = count;
        List<ObjectNode> backlog = new ArrayList<>();
        for (long n = 0; n < count; n++) {
            backlog.add(AllDestinations.event(bench.events(), "proc", n, 0, 0));
        }
        List<Buffer> bodies = Events.batches(backlog, 100);
        long started = System.nanoTime();
        Load pusher = new Load(bench.vertx(), loader.httpPort(), bench.authorization(), 4);
        Load.PushResult pushed = pusher.push("/v1/batch", bodies, 4);
        pusher.close();
        AllDestinations.awaitProcessed(loader, 60);
        BenchRun.log(String.format("processing: queued %,d events in %.1f s (%d requests sent again), processed %.1f s after the first push",
                count, pushed.seconds(), pushed.retries(), (System.nanoTime() - started) / 1e9));
        bench.out().processingEvents = count;
    }

    /**
     * While {@code drainer} delivers: from the first item at a fake (a bridge is healthy before its destinations have
     * started), waits until it holds nothing or {@code maxSeconds} passed, then records.
     */
    void drain(BenchRun.Bridge drainer, double maxSeconds) throws Exception {
        long firstDeadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < firstDeadline && AllDestinations.endpoints(fakes).isEmpty()) {
            Thread.sleep(50);
        }
        long started = System.nanoTime();
        double bridgeBefore = CpuTime.secondsOf(drainer.process().pid());
        double harnessBefore = CpuTime.thisJvmSeconds();
        boolean empty = AllDestinations.awaitEmpty(drainer, maxSeconds);
        double took = (System.nanoTime() - started) / 1e9;
        bench.out().processingCpu = new DrainCpu(CpuTime.secondsOf(drainer.process().pid()) - bridgeBefore,
                CpuTime.thisJvmSeconds() - harnessBefore);
        List<Row> rows = new ArrayList<>();
        Map<String, FakeVendors.Endpoint> byDestination = AllDestinations.byDestination(fakes);
        Together together = together(byDestination.values());
        byDestination.forEach((destination, merged) -> rows.add(new Row(destination, Row.ALL_ENDPOINTS, events,
                merged.items(), merged.requests(), merged.steadyRate(0.2, 0.95), together.rate(merged))));
        for (Map.Entry<String, FakeVendors.Endpoint> entry : AllDestinations.endpoints(fakes).entrySet()) {
            FakeVendors.Endpoint endpoint = entry.getValue();
            String name = entry.getKey();
            rows.add(new Row(name.substring(0, name.indexOf(' ')), name.substring(name.indexOf(' ') + 1, name.indexOf(" [")),
                    events, endpoint.items(), endpoint.requests(), endpoint.steadyRate(0.2, 0.95), together.rate(endpoint)));
        }
        bench.out().processingTogether = together;
        byDestination.forEach((destination, merged) -> {
            Progress progress = progress(destination, merged, together);
            bench.out().processingProgress.add(progress);
            StringBuilder line = new StringBuilder("  processing " + destination + " had received");
            for (int i = 0; i < PROGRESS_SHARES.length; i++) {
                line.append(String.format(" %.0f %% of its items at %.1f s%s", PROGRESS_SHARES[i] * 100, progress.seconds()[i],
                        i + 1 < PROGRESS_SHARES.length ? "," : ""));
            }
            BenchRun.log(line.toString());
        });
        BenchRun.log(together.empty() ? "processing: no stretch in which all four received steadily"
                : String.format("processing: all four received steadily from %.1f s to %.1f s of the drain", together.fromSecond(), together.toSecond()));
        FakeVendors.Endpoint single = FakeVendors.Endpoint.merged("single-event destinations",
                SINGLE_EVENT_DESTINATIONS.stream().map(byDestination::get).toList());
        bench.out().processingSingleRequests = single.steadyRate(0.2, 0.95); // one item per request
        bench.out().processing.addAll(rows);
        bench.out().processingSeconds = took;
        bench.out().processingDrained = empty;
        for (Row row : rows) {
            BenchRun.log(String.format("  processing %s %s: %,d items in %,d requests, %,.0f items/s while all four received%s, steady %,.0f items/s",
                    row.destination(), row.endpoint(), row.items(), row.requests(), row.togetherRate(),
                    row.allEndpoints() ? String.format(" (%,.0f events/s)", row.eventsPerSecond()) : "", row.steadyRate()));
        }
        bench.out().collect429s(fakes);
        fakes.reset();
    }
}
