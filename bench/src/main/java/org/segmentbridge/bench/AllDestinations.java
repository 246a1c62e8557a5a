package org.segmentbridge.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The shipped four destinations (emarsys, sailthru, iterable, segment) delivering at once, to fakes that never answer
 * 429 ({@link FakeVendors.Limits#NONE}) and with destination rates no fake would enforce: what limits delivery here is
 * the bridge, not a vendor. The processing drain, the latency runs and the sustained run use it.
 *
 * <p>Two things, and how the events take them into account:
 * <ul>
 *   <li>The Segment destination sends back-flow only: events whose {@code context.integration.name} names where they came
 *       from (engagement a vendor reported). Every event here names {@value #ORIGIN}, so Segment gets it too.</li>
 *   <li>Some actions pace their endpoint at the vendor's documented limit themselves ({@code Action.endpointRate}):
 *       Sailthru {@code POST /user} 300/s and {@code POST /event} 40/s, Iterable {@code users/update} 500/s. At a fixed
 *       rate such an endpoint gets one event of its kind in k (Segment's {@code integrations} flag keeps it from the
 *       rest), so that it is offered at most {@value #PACED_SHARE} of its pace. The processing drain offers it
 *       everything and raises those paces ({@link #unpacedEndpoints()}): its figure is the bridge's work.</li>
 * </ul>
 * Events are identifies (even n) and tracks (odd n) of new people, from the shipped samples.
 */
final class AllDestinations {

    static final List<String> DESTINATIONS = List.of("emarsys", "sailthru", "iterable", "segment");
    static final String SEGMENT_WRITE_KEY = "bench-segment-write-key";
    static final String ORIGIN = "bench";
    static final double PACED_SHARE = 0.6;

    /** Per destination and event kind, the request pace its action keeps by itself (requests/s, one event each). */
    private static final Map<String, Integer> PACED = Map.of("sailthru identify", 300, "sailthru track", 40, "iterable identify", 500);

    private AllDestinations() {
    }

    /** Settings on top of application.properties: shipped batching, destination rates far above any load here. */
    static String overrides() {
        StringBuilder settings = new StringBuilder();
        for (String destination : DESTINATIONS) {
            settings.append("bridge.destination.").append(destination).append(".rate.requests = 100000\n")
                    .append("bridge.destination.").append(destination).append(".rate.period = 1s\n");
        }
        return settings.toString();
    }

    /**
     * For the processing drain only: the endpoints whose actions keep the vendor's documented pace by themselves
     * (Sailthru /user 300/s and /event 40/s, Iterable users/update 500/s and events/track 2,000/s) raised far above
     * any load here (`endpoint-rate.<action>.requests`), so that the figure is the bridge's processing, not a pace.
     */
    static String unpacedEndpoints() {
        StringBuilder settings = new StringBuilder();
        for (String endpoint : List.of("sailthru.endpoint-rate.user", "sailthru.endpoint-rate.event",
                "iterable.endpoint-rate.user-update", "iterable.endpoint-rate.event")) {
            settings.append("bridge.destination.").append(endpoint).append(".requests = 100000\n");
        }
        return settings.toString();
    }

    static Map<String, String> env(FakeVendors fakes) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BRIDGE_DESTINATIONS", String.join(",", DESTINATIONS));
        env.put("EMARSYS_API_URL", "http://127.0.0.1:" + fakes.emarsysPort + "/api/v2");
        env.put("EMARSYS_API_USER", BenchRun.EMARSYS_USER);
        env.put("EMARSYS_API_SECRET", "bench-emarsys-secret");
        env.put("SAILTHRU_API_URL", "http://127.0.0.1:" + fakes.sailthruPort);
        env.put("SAILTHRU_API_KEY", BenchRun.SAILTHRU_KEY);
        env.put("SAILTHRU_API_SECRET", "bench-sailthru-secret");
        env.put("ITERABLE_API_URL", "http://127.0.0.1:" + fakes.iterablePort);
        env.put("ITERABLE_API_KEY", BenchRun.ITERABLE_KEY);
        env.put("BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES", "1001");
        env.put("SEGMENT_API_URL", "http://127.0.0.1:" + fakes.segmentPort);
        env.put("SEGMENT_WRITE_KEY", SEGMENT_WRITE_KEY);
        return env;
    }

    /**
     * Event {@code n} of a stream offered at {@code rate} events/s (0: a backlog, every destination gets every event),
     * stamped with {@code dueMicros} when it is positive: in the event and in its person's id ({@link Events#sentPerson}),
     * since the Emarsys and Sailthru mappings carry no custom field to the vendor.
     */
    static ObjectNode event(Events events, String prefix, long n, long dueMicros, double rate) {
        boolean identify = n % 2 == 0;
        // A login on a new device: the person of the track just before (known, with their email) identifies with the
        // anonymousId of the new visitor of the identify before that, so the visitor is merged into them. All three
        // share a request, so its due time and their person ids: the runs send requests of 10, and bench/run takes
        // only a K that is a multiple of 5, so such an identify is the third event of its request.
        boolean login = identify && events.loginsEvery() > 0 && n % (2L * events.loginsEvery()) == 2;
        String person = person(prefix, login ? n - 1 : n, dueMicros);
        ObjectNode event = identify ? events.identify(person, prefix + "-msg-" + n) : events.track(person, prefix + "-msg-" + n);
        if (login) {
            event.put("anonymousId", "anon-" + person(prefix, n - 2, dueMicros));
        }
        if (dueMicros > 0) {
            Events.stamped(event, dueMicros);
        }
        event.with("context").putObject("integration").put("name", ORIGIN);
        for (String destination : DESTINATIONS) {
            if (!gets(destination, n, rate)) {
                event.with("integrations").put(Character.toUpperCase(destination.charAt(0)) + destination.substring(1), false);
            }
        }
        return event;
    }

    private static String person(String prefix, long n, long dueMicros) {
        return dueMicros > 0 ? Events.sentPerson(prefix + "-" + n, dueMicros) : prefix + "-" + n;
    }

    /** Whether event {@code n} of a stream at {@code rate} goes to {@code destination}. */
    static boolean gets(String destination, long n, double rate) {
        Integer pace = PACED.get(destination + (n % 2 == 0 ? " identify" : " track"));
        if (pace == null || rate <= 0) {
            return true;
        }
        long every = (long) Math.max(1, Math.ceil(rate / 2 / (PACED_SHARE * pace)));
        return (n / 2) % every == 0;
    }

    /** How many of events {@code from} (inclusive) to {@code to} (exclusive) each destination gets. */
    static Map<String, Long> offered(long from, long to, double rate) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String destination : DESTINATIONS) {
            long count = 0;
            for (long n = from; n < to; n++) {
                count += gets(destination, n, rate) ? 1 : 0;
            }
            counts.put(destination, count);
        }
        return counts;
    }

    /** What each destination's fake endpoints received, together (Emarsys' lookups left out). */
    static Map<String, FakeVendors.Endpoint> byDestination(FakeVendors fakes) {
        Map<String, List<FakeVendors.Endpoint>> grouped = new LinkedHashMap<>();
        DESTINATIONS.forEach(destination -> grouped.put(destination, new ArrayList<>()));
        fakes.endpoints().forEach((name, endpoint) -> {
            String vendor = name.substring(0, name.indexOf(' '));
            if (grouped.containsKey(vendor) && !name.startsWith("emarsys GET")) {
                grouped.get(vendor).add(endpoint);
            }
        });
        Map<String, FakeVendors.Endpoint> merged = new LinkedHashMap<>();
        grouped.forEach((destination, endpoints) -> merged.put(destination, FakeVendors.Endpoint.merged(destination, endpoints)));
        return merged;
    }

    /** The fake endpoints that received items (Emarsys' lookups left out), by name. */
    static Map<String, FakeVendors.Endpoint> endpoints(FakeVendors fakes) {
        Map<String, FakeVendors.Endpoint> endpoints = new TreeMap<>();
        fakes.endpoints().forEach((name, endpoint) -> {
            if (!name.startsWith("emarsys GET") && endpoint.items() > 0) {
                endpoints.put(name, endpoint);
            }
        });
        return endpoints;
    }

    /** The bridge's backlog from its metrics: events the processor has not taken, and each destination's queue. */
    record Backlog(double intakeLog, Map<String, Double> queues) {
        double total() {
            return intakeLog + queues.values().stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    static Backlog backlog(String metrics) {
        Map<String, Double> queues = new LinkedHashMap<>();
        for (String destination : DESTINATIONS) {
            queues.put(destination, Processes.metric(metrics, "bridge_queue_depth", "destination=\"" + destination + "\""));
        }
        return new Backlog(Processes.metric(metrics, "bridge_intake_log_depth"), queues);
    }

    /**
     * Waits (up to {@code timeoutSeconds}) until the bridge's processor has taken everything from its intake log, so
     * that the events are in the destinations' queues. Returns whether it did.
     */
    static boolean awaitProcessed(BenchRun.Bridge bridge, double timeoutSeconds) throws InterruptedException {
        return await(bridge, timeoutSeconds, backlog -> backlog.intakeLog() == 0);
    }

    /**
     * Waits (up to {@code timeoutSeconds}) until the bridge holds nothing: the intake log and every queue empty (a
     * queue's depth counts events in flight to the vendor too, so then every event was answered). Returns whether it did.
     */
    static boolean awaitEmpty(BenchRun.Bridge bridge, double timeoutSeconds) throws InterruptedException {
        return await(bridge, timeoutSeconds, backlog -> backlog.total() == 0);
    }

    private static boolean await(BenchRun.Bridge bridge, double timeoutSeconds, Predicate<Backlog> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
        while (System.nanoTime() < deadline) {
            String metrics = bridge.metrics();
            if (!metrics.isEmpty() && done.test(backlog(metrics))) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }
}
