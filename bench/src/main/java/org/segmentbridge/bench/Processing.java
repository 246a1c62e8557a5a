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
 * 429, for at most a fixed time. A destination's figure is the items its fakes received per second, steady (between
 * the moment 20 % and the moment 95 % of what it received had arrived).
 */
final class Processing {

    /**
     * {@code items}: items received at the endpoint (or all the destination's endpoints together); {@code offered}: the
     * events of the backlog, every one of them for every destination.
     */
    record Row(String destination, String endpoint, long offered, long items, long requests, double steadyRate) {

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
         * Of the all-endpoints row: the backlog's events processed per second, which issue 20's target counts. A
         * destination may make more than one item of an event (Iterable makes an onboarding event of a new person's
         * identify), so its items per second overstate the events it processes.
         */
        double eventsPerSecond() {
            double perEvent = itemsPerEvent();
            return perEvent == 0 ? 0 : steadyRate / perEvent;
        }
    }

    /** The destinations that send one request per item: the bare Camel client's figure is their ceiling. */
    static final List<String> SINGLE_EVENT_DESTINATIONS = List.of("sailthru", "iterable");

    private final BenchRun bench;
    private final FakeVendors fakes;
    private long events;

    Processing(BenchRun bench, FakeVendors fakes) {
        this.bench = bench;
        this.fakes = fakes;
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
        boolean empty = AllDestinations.awaitEmpty(drainer, maxSeconds);
        double took = (System.nanoTime() - started) / 1e9;
        List<Row> rows = new ArrayList<>();
        Map<String, FakeVendors.Endpoint> byDestination = AllDestinations.byDestination(fakes);
        byDestination.forEach((destination, merged) -> rows.add(new Row(destination, Row.ALL_ENDPOINTS, events,
                merged.items(), merged.requests(), merged.steadyRate(0.2, 0.95))));
        for (Map.Entry<String, FakeVendors.Endpoint> entry : AllDestinations.endpoints(fakes).entrySet()) {
            FakeVendors.Endpoint endpoint = entry.getValue();
            String name = entry.getKey();
            rows.add(new Row(name.substring(0, name.indexOf(' ')), name.substring(name.indexOf(' ') + 1, name.indexOf(" [")),
                    events, endpoint.items(), endpoint.requests(), endpoint.steadyRate(0.2, 0.95)));
        }
        FakeVendors.Endpoint single = FakeVendors.Endpoint.merged("single-event destinations",
                SINGLE_EVENT_DESTINATIONS.stream().map(byDestination::get).toList());
        bench.out().processingSingleRequests = single.steadyRate(0.2, 0.95); // one item per request
        bench.out().processing.addAll(rows);
        bench.out().processingSeconds = took;
        bench.out().processingDrained = empty;
        for (Row row : rows) {
            BenchRun.log(String.format("  processing %s %s: %,d items in %,d requests, steady %,.0f items/s%s", row.destination(),
                    row.endpoint(), row.items(), row.requests(), row.steadyRate(),
                    row.allEndpoints() ? String.format(" (%,.0f events/s)", row.eventsPerSecond()) : ""));
        }
        bench.out().collect429s(fakes);
        fakes.reset();
    }
}
