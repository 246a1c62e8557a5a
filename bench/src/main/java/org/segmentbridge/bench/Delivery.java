package org.segmentbridge.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/**
 * Delivery against the fake vendors' limits. A group queues {@link #MAX_EVENTS} events of one kind through /v1/batch of
 * a bridge whose delivery is disabled; every destination gets every event, except that an endpoint whose ceiling would
 * not send that many in about {@code drainSeconds} gets only every k-th (Segment's integrations flag
 * {@code "<Destination>": false} on the others). A bridge with delivery enabled then drains the queues, every
 * destination at once as in production, until the fakes have received every item.
 * An endpoint's figure is its steady rate over whole cycles of its limit's window (N requests in a row, N the
 * limit), from the moment 20 % of its items had arrived and within the moment 95 % had, so neither the pacer's first
 * burst nor the last partial batch counts ({@link FakeVendors.Endpoint#steadyRateOverCycles}).
 */
final class Delivery {

    /** {@code every}: the destination gets one event in this many. */
    record Target(String destination, String endpoint, String label, int limitPerSecond, int batch, long events,
                  boolean measured, int every) {
        double ceiling() {
            return (double) limitPerSecond * batch;
        }
    }

    record Row(String group, Target target, long items, long requests, long rejected429, double steadyRate, double span) {
        double ratio() {
            return steadyRate / target.ceiling();
        }
    }

    record Push(String group, long events, double seconds, int retries) {
    }

    /**
     * A destination's action as the draining bridge timed it (its {@code bridge_delivery_vendor_latency} timer): from
     * the request's send to its answer back on the destination's thread. A pacer's slot is held from the permit to
     * the exchange's end, so with requests of one period per slot an endpoint's ceiling is about
     * {@code period / (period + latency)} of limit × batch.
     */
    record VendorLatency(String destination, String action, long requests, double meanMillis, double maxMillis) {

        /** One sample of the timer: which part of it, its destination and action, and its value. */
        private static final Pattern SAMPLE = Pattern.compile(
                "^bridge_delivery_vendor_latency_seconds_(count|sum|max)\\{(?=.*action=\"([^\"]*)\")(?=.*destination=\"([^\"]*)\").*} (\\S+)$",
                Pattern.MULTILINE);

        /** Every destination and action in a bridge's metrics, its answers of every status together. */
        static List<VendorLatency> of(String metrics) {
            record Action(String destination, String action) {
            }
            Map<Action, double[]> countSumMax = new TreeMap<>(
                    Comparator.comparing(Action::destination).thenComparing(Action::action));
            Matcher sample = SAMPLE.matcher(metrics);
            while (sample.find()) {
                double[] totals = countSumMax.computeIfAbsent(new Action(sample.group(3), sample.group(2)), key -> new double[3]);
                double value = Double.parseDouble(sample.group(4));
                switch (sample.group(1)) {
                    case "count" -> totals[0] += value;
                    case "sum" -> totals[1] += value;
                    default -> totals[2] = Math.max(totals[2], value);
                }
            }
            List<VendorLatency> latencies = new ArrayList<>();
            countSumMax.forEach((key, totals) -> latencies.add(new VendorLatency(key.destination(), key.action(), (long) totals[0],
                    totals[0] == 0 ? 0 : totals[1] / totals[0] * 1000, totals[2] * 1000)));
            return latencies;
        }
    }

    static final long MAX_EVENTS = 3000;

    private final BenchRun bench;
    private final Map<String, List<Target>> queued = new HashMap<>();

    Delivery(BenchRun bench) {
        this.bench = bench;
    }

    private static String emarsys(String path) {
        return "emarsys " + path + " [" + BenchRun.EMARSYS_USER + "]";
    }

    private static String sailthru(String path) {
        return "sailthru " + path + " [" + BenchRun.SAILTHRU_KEY + "]";
    }

    private static String iterable(String path, String key) {
        return "iterable " + path + " [" + key + "]";
    }

    private long total() {
        return bench.smoke() ? 200 : MAX_EVENTS;
    }

    /** One in how many events a destination gets, so its backlog lasts about {@code drainSeconds} at its ceiling. */
    private int every(double ceiling, double drainSeconds) {
        long wanted = Math.max(20, Math.round(ceiling * BenchRun.PACER_STEADY * drainSeconds));
        return (int) Math.max(1, total() / wanted);
    }

    private Target target(String destination, String endpoint, String label, int limit, int batch, double drain, boolean measured) {
        int every = every((double) limit * batch, drain);
        return new Target(destination, endpoint, label, limit, batch, (total() + every - 1) / every, measured, every);
    }

    private List<Target> targets(String group, double drain) {
        FakeVendors.Limits limits = BenchRun.LIMITS;
        int eb = BenchRun.EMARSYS_BATCH;
        int ib = BenchRun.ITERABLE_BULK_BATCH;
        List<Target> targets = new ArrayList<>();
        if (group.equals("identify")) {
            Target users = target("iterable", "POST /api/users/update (single)", iterable("POST /api/users/update", BenchRun.ITERABLE_KEY),
                    limits.iterableUserUpdate(), 1, drain, true);
            targets.add(target("emarsys", "PUT /contact (contact upsert, bulk)", emarsys("PUT /contact/"),
                    limits.emarsysPerUser(), eb, drain, true));
            targets.add(target("sailthru", "POST /user (single)", sailthru("POST /user"), limits.sailthruUser(), 1, drain, true));
            targets.add(users);
            targets.add(new Target("iterable", "POST /api/events/track (the onboarding event each new person's identify also sends)",
                    iterable("POST /api/events/track", BenchRun.ITERABLE_KEY), limits.iterableTrack(), 1, users.events(), false, users.every()));
            targets.add(target("iterablebulk", "POST /api/users/bulkUpdate (bulk)", iterable("POST /api/users/bulkUpdate", BenchRun.ITERABLE_BULK_KEY),
                    limits.iterableBulkUpdate(), ib, drain, true));
        } else {
            targets.add(target("emarsys", "POST /event/{id}/trigger (event trigger, bulk)", emarsys("POST /event/{id}/trigger"),
                    limits.emarsysPerUser(), eb, drain, true));
            targets.add(target("sailthru", "POST /event (single)", sailthru("POST /event"), limits.sailthruEvent(), 1, drain, true));
            targets.add(target("iterable", "POST /api/events/track (single)", iterable("POST /api/events/track", BenchRun.ITERABLE_KEY),
                    limits.iterableTrack(), 1, drain, true));
            targets.add(target("iterablebulk", "POST /api/events/trackBulk (bulk)", iterable("POST /api/events/trackBulk", BenchRun.ITERABLE_BULK_KEY),
                    limits.iterableTrackBulk(), ib, drain, true));
        }
        return targets;
    }

    /**
     * Queues the group's backlogs into {@code loader}, whose delivery is disabled, and waits until its processor has
     * put them all in the destinations' queues: the drain that follows then measures delivery and its pacing, not the
     * processor working off the intake log at the same time.
     */
    void load(String group, BenchRun.Bridge loader, Load pusher, double drainSeconds, boolean measured) throws Exception {
        List<Target> targets = targets(group, drainSeconds);
        queued.put(group, targets);
        List<ObjectNode> events = new ArrayList<>();
        for (long i = 0; i < total(); i++) {
            String person = group + "-" + i;
            ObjectNode event = group.equals("identify")
                    ? bench.events().identify(person, "d-" + person)
                    : bench.events().track(person, "d-" + person);
            Set<String> gets = new java.util.HashSet<>();
            for (Target target : targets) {
                if (i % target.every() == 0) {
                    gets.add(target.destination());
                }
            }
            events.add(gets.size() == Events.VENDOR_DESTINATIONS.size() ? event : Events.onlyFor(event, gets));
        }
        List<Buffer> bodies = Events.batches(events, 100);
        long started = System.nanoTime();
        Load.PushResult pushed = pusher.push("/v1/batch", bodies, 4);
        boolean processed = AllDestinations.awaitProcessed(loader, 60);
        if (measured) {
            bench.out().pushes.add(new Push(group, events.size(), pushed.seconds(), pushed.retries()));
        }
        BenchRun.log(String.format("delivery %s: queued %d events in %.1f s (%d requests sent again), %s %.1f s after the first push",
                group, events.size(), pushed.seconds(), pushed.retries(), processed ? "processed" : "NOT all processed",
                (System.nanoTime() - started) / 1e9));
    }

    /**
     * Waits until the fakes received every item of the group (the draining bridge is running), then records, unless
     * the drain is not {@code measured} (the profile's).
     */
    void drain(String group, boolean measured) throws Exception {
        FakeVendors fakes = bench.fakes();
        List<Target> targets = queued.get(group);
        long deadline = System.nanoTime() + (bench.smoke() ? 30 : 120) * 1_000_000_000L;
        while (System.nanoTime() < deadline && !targets.stream().allMatch(t -> fakes.endpoint(t.label()).items() >= t.events())) {
            Thread.sleep(250);
        }
        if (measured) {
            for (Target target : targets) {
                FakeVendors.Endpoint endpoint = fakes.endpoint(target.label());
                Row row = new Row(group, target, endpoint.items(), endpoint.requests(), endpoint.rejected429(),
                        endpoint.steadyRateOverCycles(0.2, 0.95, target.limitPerSecond()), endpoint.span());
                bench.out().delivery.add(row);
                BenchRun.log(String.format("  %s %s: %d/%d items in %d requests, steady %.1f items/s, ceiling %.0f (%.2f), 429s %d",
                        target.destination(), target.endpoint(), row.items(), target.events(), row.requests(), row.steadyRate(),
                        target.ceiling(), row.ratio(), row.rejected429()));
            }
        }
        bench.out().collect429s(fakes);
        fakes.reset();
    }
}
