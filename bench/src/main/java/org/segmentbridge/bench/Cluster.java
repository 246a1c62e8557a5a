package org.segmentbridge.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import org.HdrHistogram.Histogram;

/**
 * The cluster part: cluster mode ({@code BRIDGE_EVENT_LOG=kafka}, state on PostgreSQL) with one bridge and with two,
 * against one embedded bridge measured the same way in the same part, on one Kafka broker and one PostgreSQL server
 * started for it ({@link ClusterServers}).
 *
 * <ol>
 *   <li>Intake: {@code /v1/batch} with 100 tracks a request, closed loop at 16 connections in all (the intake part's
 *       load), delivery disabled so only the intake and the processor work. Baseline: an embedded bridge as the
 *       intake part runs it (Artemis, H2). With two bridges the load is split evenly: half the connections, half the
 *       people, one load generator each.</li>
 *   <li>Delivery, end to end: a fixed number of tracks over a fixed number of people pushed through
 *       {@code /v1/batch} (4 requests in flight, round-robin over the bridges) into bridges delivering live to the
 *       fake Iterable's {@code POST /api/events/trackBulk} (the delivery part's iterablebulk destination: the shipped
 *       custom-events route with the bulk action), from the first push to the last event received. Bulk, because
 *       with one request per event every event takes two pacer permits, each a transaction holding a row lock in
 *       PostgreSQL, and in trial runs that capped every setup alike: the figure would have measured the pacer, not the
 *       logs. Baseline: an embedded bridge with its state on the same PostgreSQL server (so it paces through
 *       PostgreSQL too; only the logs and the number of bridges differ).</li>
 *   <li>Latency: on the same bridges, right after, tracks of the same people at a fixed rate (requests of 10,
 *       round-robin), stamped with their due time, for the single-event destination (the shipped
 *       {@code POST /api/events/track}); intake to the fake Iterable.</li>
 * </ol>
 * Every setup has fresh bridges, a database and a topic prefix of its own; the CPU each process group used is
 * measured over every measurement.
 */
final class Cluster {

    static final String EVENTS_TRACK = Latency.EVENTS_TRACK;
    static final String TRACK_BULK = "iterable POST /api/events/trackBulk [" + BenchRun.ITERABLE_BULK_KEY + "]";
    /** Events in a trackBulk request at most: the bridge paces the endpoint at 10/s, so its ceiling is 8.57 × this. */
    static final int BULK_BATCH = 500;
    static final int INTAKE_CONNECTIONS = 16;
    static final int BATCH = 100;
    static final int LATENCY_PER_REQUEST = 10;
    /**
     * The delivery run: 6,000 events, 10 for each of 600 people. In trial runs on the shared 2-core machine the setups
     * delivered 250 to 550 events/s end to end, so 20,000 would take up to 80 s each, far more than the part's share
     * of the run's 10 minutes.
     */
    static final int DELIVERY_PERSONS = 600;
    static final int EVENTS_PER_PERSON = 10;
    /**
     * 100 events/s: at 200 the setups fell behind in trial runs on the shared machine, and the figure was a backlog's
     * age (seconds), not the pipeline's latency.
     */
    static final double LATENCY_RATE = 100;

    enum Mode { EMBEDDED_H2, EMBEDDED_POSTGRES, KAFKA }

    record Setup(String key, String label, Mode mode, int bridges) {
        boolean cluster() {
            return mode == Mode.KAFKA;
        }
    }

    static final Setup INTAKE_EMBEDDED = new Setup("embedded", "embedded, 1 bridge (Artemis; state in H2)", Mode.EMBEDDED_H2, 1);
    static final Setup DELIVERY_EMBEDDED = new Setup("embedded", "embedded, 1 bridge (Artemis; state in PostgreSQL)", Mode.EMBEDDED_POSTGRES, 1);
    static final Setup ONE = new Setup("c1", "cluster, 1 bridge (Kafka; state in PostgreSQL)", Mode.KAFKA, 1);
    static final Setup TWO = new Setup("c2", "cluster, 2 bridges (Kafka; state in PostgreSQL)", Mode.KAFKA, 2);

    /**
     * Cores used during a measurement: the bridges, the broker, PostgreSQL, the harness (load generator, fakes, wrk),
     * and the whole machine busy (kernel included). The rest, {@link #rest()}, is other processes and the kernel.
     */
    record Cores(double bridges, double kafka, double postgres, double harness, double machine) {
        /** What the setup itself used: its bridges, and the broker and PostgreSQL it works on. */
        double setup() {
            return bridges + kafka + postgres;
        }

        double rest() {
            return Math.max(0, machine - bridges - kafka - postgres - harness);
        }
    }

    record IntakeRow(Setup setup, Intake.Result result, Cores cores) {
        double events() {
            return result.perSecond() * BATCH;
        }

        /** Events per second of CPU the setup used (bridges, Kafka, PostgreSQL): less sensitive to a shared machine. */
        double perCore() {
            return cores.setup() <= 0 ? Double.NaN : events() / cores.setup();
        }
    }

    record DeliveryRow(Setup setup, long events, long persons, long received, double pushSeconds, double endToEndSeconds,
                       double steadyRate, long rejected429, Cores cores) {
        double rate() {
            return endToEndSeconds <= 0 ? Double.NaN : received / endToEndSeconds;
        }

        double perCore() {
            return cores.setup() <= 0 ? Double.NaN : rate() / cores.setup();
        }
    }

    record LatencyRow(Setup setup, double rate, double seconds, long sent, long non200, Histogram intakeAnswer,
                      Histogram latency, double drainedSeconds, Cores cores) {
    }

    /** What the part measured, for the report; {@code skipped} says why it did not run. */
    static final class Results {
        String skipped;
        /** Why the part stopped before its end; the figures measured before are kept. */
        String failure;
        Duration took = Duration.ZERO;
        Duration kafkaStart = Duration.ZERO;
        Duration postgresStart = Duration.ZERO;
        int partitions = 12;
        String postgresVersion = "";
        final Map<String, Duration> bridgeStarts = new LinkedHashMap<>();
        final List<IntakeRow> intake = new ArrayList<>();
        final List<DeliveryRow> delivery = new ArrayList<>();
        final List<LatencyRow> latency = new ArrayList<>();
        final Map<String, String> logProblems = new LinkedHashMap<>();
        double intakeSeconds;
        double intakeWarmSeconds;
        String intakeTool = "";
        double latencyRate;
    }

    private final BenchRun bench;
    private final Results results = new Results();
    private final List<BenchRun.Bridge> live = new ArrayList<>();
    private ClusterServers servers;

    Cluster(BenchRun bench) {
        this.bench = bench;
    }

    private double seconds(double full, double smoke) {
        return bench.smoke() ? smoke : full;
    }

    /** What was measured so far (all of it once {@link #run()} returned). */
    Results results() {
        return results;
    }

    Results run() throws Exception {
        Optional<Path> libs = ClusterServers.kafkaLibs(bench.repo());
        Optional<Path> postgres = ClusterServers.postgresBin();
        if (libs.isEmpty() || postgres.isEmpty()) {
            results.skipped = libs.isEmpty()
                    ? "no Kafka broker jars in target/kafka-broker/libs (bench/run fetches them with `mvn -B -q exec:exec@kafka-broker-libs`)"
                    : "PostgreSQL's initdb was not found (install Debian's postgresql package; bench/run does as root)";
            BenchRun.log("cluster part skipped: " + results.skipped);
            return results;
        }
        results.postgresVersion = ClusterServers.postgresVersion(postgres.get());
        long began = System.nanoTime();
        servers = new ClusterServers(bench.processes(), bench.work(), libs.get(), postgres.get());
        try {
            servers.start();
            results.kafkaStart = servers.kafkaStart;
            results.postgresStart = servers.postgresStart;
            BenchRun.log(String.format("cluster: Kafka answered %.1f s after launch; PostgreSQL started in %.1f s",
                    servers.kafkaStart.toMillis() / 1000.0, servers.postgresStart.toMillis() / 1000.0));
            intake();
            delivery();
        } catch (Exception | Error e) {
            results.failure = e.toString();
            throw e;
        } finally {
            stopBridges(List.copyOf(live));
            servers.close();
            results.took = Duration.ofNanos(System.nanoTime() - began);
            BenchRun.log("cluster part took " + Report.duration(results.took));
        }
        return results;
    }

    // ---- bridges ------------------------------------------------------------------------------------------------

    private String database(String part, Setup setup) {
        return part + "_" + setup.key();
    }

    private String prefix(String part, Setup setup) {
        return "bench-" + part + "-" + setup.key();
    }

    /** Starts the setup's bridges together and waits until all are healthy (and, on Kafka, their groups settled). */
    private List<BenchRun.Bridge> start(String part, Setup setup, String overrides, Map<String, String> baseEnv,
                                        BenchRun.RoutesHook routes, Set<String> groupSuffixes) throws Exception {
        Map<String, String> env = new LinkedHashMap<>(baseEnv);
        if (setup.mode() != Mode.EMBEDDED_H2) {
            String database = database(part, setup);
            servers.createDatabase(database);
            env.putAll(servers.stateEnv(database));
        }
        if (setup.cluster()) {
            env.putAll(servers.kafkaEnv(prefix(part, setup)));
        }
        List<BenchRun.Launch> launches = new ArrayList<>();
        for (int i = 0; i < setup.bridges(); i++) {
            String name = "cluster-" + part + "-" + setup.key() + (setup.bridges() > 1 ? "-" + (char) ('a' + i) : "");
            launches.add(bench.launch(name, bench.work().resolve(name).resolve("data"), overrides, env, routes));
        }
        List<BenchRun.Bridge> bridges = new ArrayList<>();
        try {
            for (BenchRun.Launch launch : launches) {
                BenchRun.Bridge bridge = bench.awaitHealthy(launch);
                bridges.add(bridge);
                live.add(bridge);
                results.bridgeStarts.put(launch.name(), bridge.healthy());
            }
        } catch (Exception | Error e) {
            launches.forEach(launch -> Processes.stop(launch.process(), Duration.ofSeconds(5)));
            throw e;
        }
        if (setup.cluster()) {
            Set<String> groups = new LinkedHashSet<>();
            groupSuffixes.forEach(suffix -> groups.add(prefix(part, setup) + "." + suffix));
            long waited = System.nanoTime();
            servers.awaitGroups(groups, setup.bridges(), Duration.ofSeconds(60));
            BenchRun.log(String.format("cluster %s %s: consumer groups %s stable with %d member(s) after %.1f s", part,
                    setup.key(), groups, setup.bridges(), (System.nanoTime() - waited) / 1e9));
        }
        return bridges;
    }

    /** Stops the bridges together (each SIGTERM, then SIGKILL after 20 s), keeping what their logs report. */
    private void stopBridges(List<BenchRun.Bridge> bridges) {
        List<Thread> stoppers = new ArrayList<>();
        for (BenchRun.Bridge bridge : bridges) {
            Thread stopper = new Thread(() -> Processes.stop(bridge.process(), Duration.ofSeconds(20)), "stop-" + bridge.process().pid());
            stopper.start();
            stoppers.add(stopper);
        }
        for (Thread stopper : stoppers) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (BenchRun.Bridge bridge : bridges) {
            live.remove(bridge);
            try {
                results.logProblems.put(bridge.dir().getFileName().toString(), BenchRun.logProblems(bridge.dir().resolve("bridge.log")));
            } catch (Exception e) {
                results.logProblems.put(bridge.dir().getFileName().toString(), "log unreadable: " + e.getMessage());
            }
        }
    }

    private static int[] ports(List<BenchRun.Bridge> bridges) {
        return bridges.stream().mapToInt(BenchRun.Bridge::httpPort).toArray();
    }

    // ---- CPU ----------------------------------------------------------------------------------------------------

    private Cores cores(CpuTime.Snapshot from, CpuTime.Snapshot to, List<BenchRun.Bridge> bridges) {
        Map<String, Set<Long>> groups = new LinkedHashMap<>();
        Set<Long> bridgePids = new LinkedHashSet<>();
        bridges.forEach(bridge -> bridgePids.add(bridge.process().pid()));
        groups.put("bridges", bridgePids);
        groups.put("kafka", Set.of(servers.kafkaPid()));
        groups.put("postgres", Set.of(servers.postmasterPid()));
        groups.put("harness", Set.of(ProcessHandle.current().pid()));
        CpuTime.Shares shares = CpuTime.between(from, to, groups);
        return new Cores(shares.of("bridges"), shares.of("kafka"), shares.of("postgres"), shares.of("harness"),
                shares.of("machine"));
    }

    // ---- intake -------------------------------------------------------------------------------------------------

    private void intake() throws Exception {
        List<ObjectNode> people = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            people.add(bench.events().track("ci-b-" + i, null));
        }
        List<Buffer> bodies = Events.batches(people, BATCH);
        double warm = seconds(1, 0.5);
        double measure = seconds(6, 1);
        results.intakeSeconds = bench.useWrk() ? Math.max(1, Math.round(measure)) : measure;
        results.intakeWarmSeconds = bench.useWrk() ? Math.max(1, Math.round(warm)) : warm;
        results.intakeTool = bench.useWrk() ? "wrk" : "the Java closed loop";
        for (Setup setup : List.of(INTAKE_EMBEDDED, ONE, TWO)) {
            List<BenchRun.Bridge> bridges = start("intake", setup, "bridge.delivery.enabled = false\n", Map.of(), null,
                    Set.of("processor"));
            // Each bridge gets its own share of the people (a load balancer keyed by nothing would mix them; the
            // shares keep two bridges from taking one new person's first event at the same moment).
            List<Intake.Target> targets = new ArrayList<>();
            for (int i = 0; i < bridges.size(); i++) {
                List<Buffer> share = new ArrayList<>();
                for (int j = i; j < bodies.size(); j += bridges.size()) {
                    share.add(bodies.get(j));
                }
                Path file = bench.work().resolve("cluster-bodies-" + setup.key() + "-" + i + ".jsonl");
                Files.write(file, share.stream().map(Buffer::toString).toList());
                Load seeder = new Load(bench.vertx(), bridges.get(i).httpPort(), bench.authorization(), 1);
                seeder.push("/v1/batch", share, 1);
                seeder.close();
                targets.add(new Intake.Target(bridges.get(i).httpPort(), file, share));
            }
            Intake.runSplit(bench, targets, "batch", INTAKE_CONNECTIONS, Intake.WRK_THREADS, warm);
            CpuTime.Snapshot from = CpuTime.take();
            Intake.Result result = Intake.runSplit(bench, targets, "batch", INTAKE_CONNECTIONS, Intake.WRK_THREADS, measure);
            CpuTime.Snapshot to = CpuTime.take();
            IntakeRow row = new IntakeRow(setup, result, cores(from, to, bridges));
            results.intake.add(row);
            BenchRun.log(String.format("cluster intake %s: %.0f events/s (%.0f req/s), p50 %.0f ms p99 %.0f ms, non-200 %d; cores: bridges %.2f, Kafka %.2f, PostgreSQL %.2f, harness %.2f, machine %.2f",
                    setup.key(), row.events(), result.perSecond(), result.p50Micros() / 1000.0, result.p99Micros() / 1000.0,
                    result.non200(), row.cores().bridges(), row.cores().kafka(), row.cores().postgres(), row.cores().harness(),
                    row.cores().machine()));
            stopBridges(bridges);
            discard("intake", setup, bridges);
        }
    }

    /**
     * Gives back the disk a finished setup used (the machine's disk is shared and may be nearly full): its topics, its
     * database, its bridges' data folders. Their logs stay.
     */
    private void discard(String part, Setup setup, List<BenchRun.Bridge> bridges) {
        try {
            if (setup.cluster()) {
                servers.deleteTopics(prefix(part, setup));
            }
            if (setup.mode() != Mode.EMBEDDED_H2) {
                servers.dropDatabase(database(part, setup));
            }
        } catch (Exception e) {
            BenchRun.log("could not discard setup " + part + " " + setup.key() + "'s topics or database: " + e.getMessage());
        }
        bridges.forEach(BenchRun::discardData);
    }

    // ---- delivery and latency -----------------------------------------------------------------------------------

    private Map<String, String> iterableEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BRIDGE_DESTINATIONS", "iterable,iterablebulk");
        env.put("ITERABLE_API_URL", "http://127.0.0.1:" + bench.fakes().iterablePort);
        env.put("ITERABLE_API_KEY", BenchRun.ITERABLE_KEY);
        // The shipped opt-out route needs a message type to start; no bench event is an opt-out.
        env.put("BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES", "1001");
        return env;
    }

    /**
     * The delivery part's second Iterable destination (bulk actions, its own key and pacers), in batches of up to 500
     * sent after 200 ms rather than 2 s when not full: a person has one event in a batch at a time, so the run's last
     * batches are small, and waiting 2 s for each would make the tail of the run, not the bridges, the figure.
     */
    private String deliveryOverrides() {
        return String.join("\n",
                "bridge.destination.iterablebulk.vendor = iterable",
                "bridge.destination.iterablebulk.base-url = http://127.0.0.1:" + bench.fakes().iterablePort,
                "bridge.destination.iterablebulk.api-key = " + BenchRun.ITERABLE_BULK_KEY,
                "bridge.destination.iterablebulk.rate.requests = 2000",
                "bridge.destination.iterablebulk.rate.period = 1s",
                "bridge.destination.iterablebulk.batch.max-items = " + BULK_BATCH,
                "bridge.destination.iterablebulk.batch.flush = 200ms",
                "");
    }

    /**
     * The bridge's copy of routes/ with Iterable's alone (the other vendors' routes name destinations it does not
     * have), plus the delivery part's iterablebulk routes.
     */
    private void iterableRoutes(Path routes) throws java.io.IOException {
        try (java.util.stream.Stream<Path> folders = Files.list(routes)) {
            for (Path folder : folders.filter(Files::isDirectory).filter(dir -> !dir.getFileName().toString().equals("iterable")).toList()) {
                try (java.util.stream.Stream<Path> files = Files.walk(folder)) {
                    for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
        }
        bench.addBulkRoutes(routes);
    }

    private void delivery() throws Exception {
        int persons = bench.smoke() ? 100 : DELIVERY_PERSONS;
        int total = persons * EVENTS_PER_PERSON;
        double latencyRate = LATENCY_RATE;
        double latencySeconds = seconds(6, 1);
        results.latencyRate = latencyRate;
        FakeVendors fakes = bench.fakes();
        for (Setup setup : List.of(DELIVERY_EMBEDDED, ONE, TWO)) {
            List<BenchRun.Bridge> bridges = start("deliver", setup, deliveryOverrides(), iterableEnv(), this::iterableRoutes,
                    Set.of("processor", "iterable", "iterablebulk"));
            List<ObjectNode> events = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                events.add(Events.onlyFor(bench.events().track("cd-" + (i % persons), "cd-" + setup.key() + "-" + i),
                        Set.of("iterablebulk")));
            }
            List<Buffer> bodies = Events.batches(events, BATCH);
            fakes.reset();
            Load pusher = new Load(bench.vertx(), ports(bridges), bench.authorization(), 4);
            CpuTime.Snapshot from = CpuTime.take();
            long began = System.nanoTime();
            Load.PushResult pushed = pusher.push("/v1/batch", bodies, 4);
            pusher.close();
            FakeVendors.Endpoint endpoint = fakes.endpoint(TRACK_BULK);
            long deadline = System.nanoTime() + (long) (seconds(90, 40) * 1e9);
            while (endpoint.items() < total && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            CpuTime.Snapshot to = CpuTime.take();
            long last = endpoint.lastNanos();
            DeliveryRow row = new DeliveryRow(setup, total, persons, endpoint.items(), pushed.seconds(),
                    last < 0 ? Double.NaN : (last - began) / 1e9, endpoint.steadyRate(0.2, 0.95), endpoint.rejected429(),
                    cores(from, to, bridges));
            results.delivery.add(row);
            BenchRun.log(String.format("cluster delivery %s: %d/%d events in %.1f s = %.0f events/s end to end (steady %.0f/s; pushed in %.1f s), 429s %d; cores: bridges %.2f, Kafka %.2f, PostgreSQL %.2f, harness %.2f, machine %.2f",
                    setup.key(), row.received(), total, row.endToEndSeconds(), row.rate(), row.steadyRate(), row.pushSeconds(),
                    row.rejected429(), row.cores().bridges(), row.cores().kafka(), row.cores().postgres(), row.cores().harness(),
                    row.cores().machine()));
            bench.out().collect429s(fakes);
            fakes.reset();
            latency(setup, bridges, persons, latencyRate, latencySeconds);
            bench.out().collect429s(fakes);
            fakes.reset();
            stopBridges(bridges);
            discard("deliver", setup, bridges);
        }
    }

    /** Open loop at {@code rate} events/s, requests of 10 tracks of returning people, stamped with their due time. */
    private void latency(Setup setup, List<BenchRun.Bridge> bridges, int persons, double rate, double seconds) throws Exception {
        FakeVendors fakes = bench.fakes();
        Load load = new Load(bench.vertx(), ports(bridges), bench.authorization(), 16);
        AtomicLong sequence = new AtomicLong();
        CpuTime.Snapshot from = CpuTime.take();
        long began = System.nanoTime();
        Load.OpenLoopResult answers = load.openLoop(rate / LATENCY_PER_REQUEST, seconds, due -> {
            List<ObjectNode> batch = new ArrayList<>();
            for (int i = 0; i < LATENCY_PER_REQUEST; i++) {
                long n = sequence.getAndIncrement();
                batch.add(Events.onlyFor(Events.stamped(bench.events().track("cd-" + (n % persons), "cl-" + setup.key() + "-" + n), due),
                        Set.of("iterable")));
            }
            return new Load.Request("/v1/batch", Events.batches(batch, LATENCY_PER_REQUEST).get(0));
        });
        load.close();
        long sent = sequence.get();
        long deadline = System.nanoTime() + (long) (seconds(30, 15) * 1e9);
        while (fakes.endpoint(EVENTS_TRACK).latency().getTotalCount() < sent && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        double drained = (System.nanoTime() - began) / 1e9;
        CpuTime.Snapshot to = CpuTime.take();
        LatencyRow row = new LatencyRow(setup, rate, seconds, sent, answers.failed(), answers.answerMicros(),
                fakes.endpoint(EVENTS_TRACK).latency(), drained, cores(from, to, bridges));
        results.latency.add(row);
        BenchRun.log(String.format("cluster latency %s at %.0f/s: p50 %.1f ms p99 %.1f ms (%d of %d), non-200 %d",
                setup.key(), rate, Latency.ms(row.latency(), 50), Latency.ms(row.latency(), 99), row.latency().getTotalCount(),
                sent, row.non200()));
    }
}
