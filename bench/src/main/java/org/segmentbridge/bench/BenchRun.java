package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import org.HdrHistogram.Histogram;

/**
 * What bench/run runs: the whole benchmark, one phase after another, then the report.
 *
 * <ol>
 *   <li>Intake (bridges with delivery disabled, so only the intake and its processor work): first the disk's own sync
 *       times alone ({@link DiskSync}); time to healthy, idle RSS;
 *       /v1/track and /v1/batch (100 events) at 64 connections, each right after the same load against the bare
 *       Vert.x handler ({@link BareServer}) and, for /v1/track, the bare Camel route ({@link BareCamel}); /v1/track
 *       open loop at 5,000 req/s; a JFR profile of /v1/track at 64 connections. The RSS peak here is the overload
 *       flood's.</li>
 *   <li>Delivery against the fakes' rate limits ({@link Delivery}): one group of identifies and one of tracks.</li>
 *   <li>The shipped four destinations against fakes without limits ({@link AllDestinations}): each destination's
 *       processing rate ({@link Processing}), then on one fresh bridge the latency at 500 and 1,000 events/s
 *       ({@link Latency}) and the sustained run ({@link Sustained}, {@code --sustained-seconds}).</li>
 *   <li>The cluster part ({@link Cluster}): a Kafka broker and a PostgreSQL server of its own; intake, delivery end
 *       to end and latency of one and of two bridges in cluster mode, each against one embedded bridge.</li>
 * </ol>
 *
 * Usage: {@code BenchRun <repo> <bridge jar> <work dir> <report file> <started epoch ms> [--smoke] [--no-wrk]
 * [--no-cluster | --cluster-only] [--sustained-seconds N] [--logins-every K]}
 */
public final class BenchRun {

    static final String WRITE_KEY = "bench-write-key";
    static final String EMARSYS_USER = "bench-emarsys-user";
    static final String SAILTHRU_KEY = "bench-sailthru-key";
    static final String ITERABLE_KEY = "itsingle-bench-key";
    static final String ITERABLE_BULK_KEY = "itbulk-bench-key";

    /** Vendor limits the fakes enforce and the bridge paces to (Emarsys' 1000/min as 16/s, see docs/benchmarks.md). */
    static final FakeVendors.Limits LIMITS = new FakeVendors.Limits(16, 300, 40, 500, 2000, 5, 10, 100);
    static final int EMARSYS_BATCH = 20;
    static final int ITERABLE_BULK_BATCH = 50;
    /** The bridge's pacer lets (N - N/10) through per 1.05 periods once its burst is spent. */
    static final double PACER_STEADY = 0.9 / 1.05;

    private final Path repo;
    private final Path jar;
    private final Path work;
    private final Path report;
    private final long startedMs;
    private final boolean smoke;
    private final boolean useWrk;
    /** Whether the cluster part runs ({@code --no-cluster}: not), and whether only it runs ({@code --cluster-only}). */
    private final boolean cluster;
    private final boolean clusterOnly;
    /** Only the intake's floods, open loop and profile ({@code --intake-only}), to compare two builds of the bridge. */
    private final boolean intakeOnly;
    /** Only each destination's processing rate ({@code --processing-only}), to compare two builds of the bridge. */
    private final boolean processingOnly;
    /** Only delivery against the fakes' limits ({@code --delivery-only}), to compare two builds of the bridge. */
    private final boolean deliveryOnly;
    /** Only the latency and sustained runs ({@code --latency-only}), to compare two builds of the bridge. */
    private final boolean latencyOnly;
    private final Processes processes;
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    private final Events events;
    private final Report out = new Report();
    private final Processes.Monitor monitor;
    private FakeVendors fakes;
    /** Fakes that never answer 429, for the parts where the bridge, not a vendor, is to be the limit. */
    private FakeVendors freeFakes;
    /** How long the sustained run lasts ({@code --sustained-seconds N}). */
    private final double sustainedSeconds;

    private BenchRun(String[] args) throws IOException {
        repo = Path.of(args[0]).toAbsolutePath();
        jar = Path.of(args[1]).toAbsolutePath();
        work = Path.of(args[2]).toAbsolutePath();
        report = Path.of(args[3]).toAbsolutePath();
        startedMs = Long.parseLong(args[4]);
        List<String> flags = List.of(args).subList(5, args.length);
        smoke = flags.contains("--smoke");
        useWrk = !flags.contains("--no-wrk");
        clusterOnly = flags.contains("--cluster-only");
        intakeOnly = flags.contains("--intake-only");
        processingOnly = flags.contains("--processing-only");
        deliveryOnly = flags.contains("--delivery-only");
        latencyOnly = flags.contains("--latency-only");
        cluster = !intakeOnly && !processingOnly && !deliveryOnly && !latencyOnly && (clusterOnly || !flags.contains("--no-cluster"));
        int sustainedAt = flags.indexOf("--sustained-seconds");
        sustainedSeconds = sustainedAt >= 0 ? Double.parseDouble(flags.get(sustainedAt + 1)) : smoke ? 15 : 120;
        processes = new Processes(work.resolve("pids"));
        monitor = processes.new Monitor();
        int loginsAt = flags.indexOf("--logins-every");
        events = new Events(repo.resolve("samples"), loginsAt >= 0 ? Integer.parseInt(flags.get(loginsAt + 1)) : 0);
    }

    public static void main(String[] args) throws Exception {
        BenchRun run = new BenchRun(args);
        int status = 0;
        try {
            run.run();
        } catch (Exception | Error e) {
            e.printStackTrace();
            status = 1;
        } finally {
            run.processes.stopAll();
            run.monitor.close();
            run.vertx.close();
        }
        System.exit(status);
    }

    private double seconds(double full, double smokeValue) {
        return smoke ? smokeValue : full;
    }

    private void run() throws Exception {
        out.mode = smoke ? "smoke (tiny durations: the figures mean nothing)" : "full";
        out.machine = Machine.describe(useWrk);
        log("machine: " + out.machine);
        fakes = new FakeVendors(vertx, LIMITS);
        fakes.start();
        freeFakes = new FakeVendors(vertx, FakeVendors.Limits.NONE);
        freeFakes.start();
        if (intakeOnly || processingOnly || deliveryOnly || latencyOnly) {
            if (intakeOnly) {
                intakePhase();
            } else if (processingOnly) {
                processingPart();
            } else if (deliveryOnly) {
                deliveryPhase();
            } else {
                latencyPart();
            }
            out.cores = monitor.cores();
            out.wallTime = Duration.ofMillis(System.currentTimeMillis() - startedMs);
            out.write(report, true);
            log("report written to " + report);
            return;
        }
        if (!clusterOnly) {
            intakePhase();
            deliveryPhase();
            allDestinationsPhase();
            out.cores = monitor.cores();
        }
        Exception clusterFailure = null;
        if (cluster) {
            // A failure here keeps the figures of the parts before it: the report says the part failed, and the run
            // still ends with an error.
            Cluster part = new Cluster(this);
            try {
                part.run();
            } catch (Exception e) {
                clusterFailure = e;
            }
            out.cluster = part.results();
        }
        out.wallTime = Duration.ofMillis(System.currentTimeMillis() - startedMs);
        out.write(report, smoke || clusterOnly);
        log("report written to " + report + " (wall time so far " + Report.duration(out.wallTime) + ")");
        if (clusterFailure != null) {
            throw clusterFailure;
        }
    }

    // ---- bridge instances ---------------------------------------------------------------------------------------

    record Bridge(Process process, int httpPort, int managementPort, Path dir, Duration healthy) {
        String metrics() {
            return Processes.get("http://127.0.0.1:" + managementPort + "/observe/metrics");
        }
    }

    private static Map<String, Double> refusedByReason(Bridge bridge) {
        return Processes.byLabel(bridge.metrics(), "bridge_intake_requests_refused_total", "reason");
    }

    /** The requests the bridge refused since {@code before}, by reason ("memory 35, events 2"); empty when none. */
    private static String refusedSince(Map<String, Double> before, Bridge bridge) {
        List<String> reasons = new ArrayList<>();
        refusedByReason(bridge).forEach((reason, count) -> {
            long since = Math.round(count - before.getOrDefault(reason, 0.0));
            if (since > 0) {
                reasons.add("refused for " + reason + ": " + since);
            }
        });
        return String.join(", ", reasons);
    }

    /** A bridge launched and not yet healthy. */
    record Launch(String name, Process process, int httpPort, int managementPort, Path dir, long launchedNanos) {
    }

    interface RoutesHook {
        void addTo(Path routes) throws IOException;
    }

    private Bridge startBridge(String name, String overrides, Map<String, String> extraEnv, RoutesHook extraRoutes) throws Exception {
        return startBridge(name, work.resolve(name).resolve("data"), overrides, extraEnv, extraRoutes);
    }

    /** A bridge launched from its own folder (routes, application.properties, log) on {@code dataDir}, once healthy. */
    private Bridge startBridge(String name, Path dataDir, String overrides, Map<String, String> extraEnv, RoutesHook extraRoutes)
            throws Exception {
        Bridge bridge = awaitHealthy(launch(name, dataDir, overrides, extraEnv, extraRoutes));
        out.timeToHealthy.put(name, bridge.healthy());
        return bridge;
    }

    /**
     * Launches a bridge from its own folder (routes, application.properties, log) on {@code dataDir} and returns at
     * once, so that several can start together; {@link #awaitHealthy} waits for it.
     */
    Launch launch(String name, Path dataDir, String overrides, Map<String, String> extraEnv, RoutesHook extraRoutes)
            throws Exception {
        Path dir = work.resolve(name);
        Files.createDirectories(dir);
        copyTree(repo.resolve("routes"), dir.resolve("routes"));
        if (extraRoutes != null) {
            extraRoutes.addTo(dir.resolve("routes"));
        }
        Files.writeString(dir.resolve("application.properties"),
                Files.readString(repo.resolve("application.properties"))
                        + "\n# ---- bench/run overrides (a later key wins) ----\n" + overrides);
        int http = Processes.freePort();
        int management = Processes.freePort();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BRIDGE_HTTP_PORT", String.valueOf(http));
        env.put("BRIDGE_MANAGEMENT_PORT", String.valueOf(management));
        env.put("BRIDGE_DATA_DIR", dataDir.toString());
        env.put("BRIDGE_MAPPINGS_DIR", repo.resolve("mappings").toString());
        env.put("BRIDGE_WRITE_KEYS", WRITE_KEY);
        env.put("BRIDGE_ADMIN_TOKEN", "bench-admin-token");
        // 128 MB of free disk rather than the 512 MB a bridge keeps by default before it refuses events: the benchmark
        // machine's disk is shared, and other work's files must not make a bench bridge answer 503. The run gives each
        // bridge's data back once it is done with it (discardData), so it never holds much.
        env.put("BRIDGE_QUEUE_MIN_FREE_DISK", "128MB");
        env.putAll(extraEnv);
        // As the README starts it: bin/segment-bridge, with its JVM options (BRIDGE_JVM_OPTIONS from this run's
        // environment when set, to compare others) and the build's class-data archive. It execs java, so the process
        // measured is the JVM itself.
        env.put("BRIDGE_JAR", jar.toString());
        env.put("JAVA_HOME", System.getProperty("java.home"));
        List<String> command = List.of("bash", repo.resolve("bin/segment-bridge").toString());
        long launched = System.nanoTime();
        Process process = processes.start(command, env, dir, dir.resolve("bridge.log"));
        if (out.bridgeCommand == null) {
            out.bridgeCommand = commandLineOf(process);
            log("bridges start with: " + out.bridgeCommand);
        }
        return new Launch(name, process, http, management, dir, launched);
    }

    /** Waits (up to 60 s from its launch) until the bridge's health answers 200. */
    Bridge awaitHealthy(Launch launch) throws Exception {
        Duration left = Duration.ofSeconds(60).minusNanos(System.nanoTime() - launch.launchedNanos());
        Duration healthy = Processes.waitFor200("http://127.0.0.1:" + launch.managementPort() + "/observe/health",
                launch.launchedNanos(), left.isNegative() ? Duration.ZERO : left, launch.process());
        if (healthy == null) {
            String health = launch.process().isAlive()
                    ? " (its health answers: " + Processes.get("http://127.0.0.1:" + launch.managementPort() + "/observe/health") + ")"
                    : " (it exited)";
            throw new IllegalStateException("bridge " + launch.name() + " did not become healthy" + health + "; see "
                    + launch.dir().resolve("bridge.log"));
        }
        log("bridge " + launch.name() + " (pid " + launch.process().pid() + ") healthy after " + healthy.toMillis() + " ms");
        return new Bridge(launch.process(), launch.httpPort(), launch.managementPort(), launch.dir(), healthy);
    }

    /** Deletes a stopped bridge's data folder (its journal can be hundreds of MB); its log and settings stay. */
    static void discardData(Bridge bridge) {
        deleteTree(bridge.dir().resolve("data"));
    }

    static void deleteTree(Path data) {
        if (!Files.isDirectory(data)) {
            return;
        }
        try (Stream<Path> files = Files.walk(data)) {
            for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | RuntimeException e) {
            // what is left goes with the work folder
        }
    }

    private void stopBridge(Bridge bridge) {
        monitor.pause();
        Processes.stop(bridge.process(), Duration.ofSeconds(20));
    }

    /** The JVM's command line once bin/segment-bridge has exec'd it, paths shown relative to the project. */
    private String commandLineOf(Process process) throws InterruptedException {
        for (int attempt = 0; attempt < 100; attempt++) {
            Optional<String> line = process.info().commandLine();
            if (line.isPresent() && !line.get().startsWith("bash ") && !line.get().contains("/bash ")) {
                return line.get().replace(System.getProperty("java.home") + "/bin/", "").replace(repo + "/", "");
            }
            Thread.sleep(20);
        }
        return "bin/segment-bridge";
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    String authorization() {
        return "Basic " + Base64.getEncoder().encodeToString((WRITE_KEY + ":").getBytes());
    }

    // ---- intake -------------------------------------------------------------------------------------------------

    /**
     * Each of the four bridge runs (endpoint × connections) gets a fresh bridge with delivery disabled, so every run
     * starts from an empty queue (a queue past the bridge's 32 MB address limit pages to disk, which would make the
     * order of the runs matter); the bare handler's run comes right before it.
     */
    private void intakePhase() throws Exception {
        // First, alone: the disk's own sync times, the floor under the open loop's durable answers.
        out.diskSync = DiskSync.measure(work, seconds(10, 1));
        log(String.format("disk sync alone for %.0f s: p50 %.2f ms, p99.9 %.2f ms, max %.1f ms, %d over 20 ms", out.diskSync.seconds(),
                out.diskSync.syncMicros().getValueAtPercentile(50) / 1000.0, out.diskSync.syncMicros().getValueAtPercentile(99.9) / 1000.0,
                out.diskSync.syncMicros().getMaxValue() / 1000.0, out.diskSync.over(20_000)));
        int barePort = Processes.freePort();
        Path bareLog = work.resolve("bare.log");
        Process bare = processes.start(List.of(javaBinary(), "-Xmx256m", "-cp", benchClassPath(), BareServer.class.getName(),
                String.valueOf(barePort)), Map.of(), work, bareLog);
        if (Processes.waitFor200("http://127.0.0.1:" + barePort + "/", System.nanoTime(), Duration.ofSeconds(30), bare) == null) {
            throw new IllegalStateException("the bare server did not start; see " + bareLog);
        }
        int camelPort = Processes.freePort();
        Process camel = startBareCamel(camelPort, List.of("-Xmx256m"), "bare-camel.log");
        // The same route on the bridge's own JVM options, whose compiler (C1 only) is not the JVM's default: what Camel
        // allows on the compiler the bridge runs with. Measured beside the target's baseline, never instead of it.
        int camelOnBridgeOptionsPort = Processes.freePort();
        Process camelOnBridgeOptions = startBareCamel(camelOnBridgeOptionsPort, bridgeJvmOptions(), "bare-camel-bridge-options.log");

        // Bodies: the track sample without a messageId (the intake makes one, so every request is a new event to store),
        // for a pool of people; each bridge sees them all once before it is measured, so the runs see returning
        // people, as most traffic is (and no two requests race to create the same person).
        List<ObjectNode> singles = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            singles.add(events.track("in-s-" + i, null));
        }
        List<ObjectNode> batched = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            batched.add(events.track("in-b-" + i, null));
        }
        Path singleFile = work.resolve("bodies-track.jsonl");
        Path batchFile = work.resolve("bodies-batch.jsonl");
        Files.write(singleFile, singles.stream().map(Object::toString).toList());
        List<Buffer> batchBodies = Events.batches(batched, 100);
        Files.write(batchFile, batchBodies.stream().map(Buffer::toString).toList());

        double warm = seconds(3, 1);
        double measure = seconds(10, 1.5);
        boolean first = true;
        for (String endpoint : List.of("track", "batch")) {
            Path bodies = endpoint.equals("track") ? singleFile : batchFile;
            int perRequest = endpoint.equals("track") ? 1 : 100;
            List<Buffer> javaBodies = Files.readAllLines(bodies).stream().map(Buffer::buffer).toList();
            Intake.run(this, barePort, endpoint, bodies, javaBodies, 64, warm);
            // Issue 20 asks for 64 connections only; 16 showed the same figures in earlier runs and would cost a minute.
            for (int connections : List.of(64)) {
                Intake.Result bareResult = Intake.run(this, barePort, endpoint, bodies, javaBodies, connections, measure);
                Intake.Result camelResult = null;
                Intake.Result camelOnBridgeOptionsResult = null;
                if (endpoint.equals("track")) {
                    Measured camelRun = warmedRun(camel.pid(), camelPort, endpoint, bodies, javaBodies, connections, warm, measure);
                    camelResult = camelRun.result();
                    out.trackCamelCpu = camelRun.cpu();
                    camelOnBridgeOptionsResult = warmedRun(camelOnBridgeOptions.pid(), camelOnBridgeOptionsPort, endpoint, bodies, javaBodies,
                            connections, warm, measure).result();
                }

                String name = "intake-" + endpoint + "-" + connections;
                Bridge bridge = startBridge(name, "bridge.delivery.enabled = false\n", Map.of(), null);
                if (first) {
                    Thread.sleep((long) (seconds(5, 1) * 1000));
                    out.idleRss.put(name, Processes.rssKib(bridge.process().pid()));
                    first = false;
                }
                monitor.watch(bridge.process().pid(), OVERLOAD);
                Load seeder = new Load(vertx, bridge.httpPort(), authorization(), 1);
                seeder.push("/v1/batch", endpoint.equals("track") ? Events.batches(singles, 100) : batchBodies, 1);
                seeder.close();
                Intake.run(this, bridge.httpPort(), endpoint, bodies, javaBodies, connections, warm);
                Map<String, Double> refusedBefore = refusedByReason(bridge);
                Measured bridgeRun = measured(bridge.process().pid(),
                        () -> Intake.run(this, bridge.httpPort(), endpoint, bodies, javaBodies, connections, measure));
                Intake.Result bridgeResult = bridgeRun.result();
                if (endpoint.equals("track")) {
                    out.trackBridgeCpu = bridgeRun.cpu();
                }
                String refused = refusedSince(refusedBefore, bridge);
                out.intake.add(new Report.IntakeRow("/v1/" + endpoint, perRequest, connections, bareResult, camelResult,
                        camelOnBridgeOptionsResult, bridgeResult, refused));
                out.intakeAccepted += Processes.metric(bridge.metrics(), "bridge_intake_events_accepted_total");
                log(String.format("intake /v1/%s c=%d: bare %.0f req/s, bare Camel %.0f req/s (%.0f on the bridge's JVM options), bridge %.0f req/s (%.0f events/s), p50 %.1f ms p99 %.1f ms, non-200 %d",
                        endpoint, connections, bareResult.perSecond(), camelResult == null ? Double.NaN : camelResult.perSecond(),
                        camelOnBridgeOptionsResult == null ? Double.NaN : camelOnBridgeOptionsResult.perSecond(),
                        bridgeResult.perSecond(), bridgeResult.perSecond() * perRequest,
                        bridgeResult.p50Micros() / 1000.0, bridgeResult.p99Micros() / 1000.0, bridgeResult.non200())
                        + (refused.isEmpty() ? "" : " (" + refused + ")"));
                if (endpoint.equals("track") && connections == 64) {
                    trackOpenLoop(bridge, camelPort, singles);
                    // The profile: one more run like the measured one, under JFR, not part of the figures.
                    monitor.watch(bridge.process().pid(), "intake profile");
                    Path recording = work.resolve("intake-track-64.jfr");
                    jfrStart(bridge, recording);
                    Intake.Result profiled = Intake.run(this, bridge.httpPort(), "track", singleFile, javaBodies, 64, seconds(10, 1.5));
                    jfrStop(bridge);
                    out.intakeProfile = Profile.summarise(recording);
                    out.intakeProfileRate = profiled.perSecond();
                }
                out.loadedRss.merge(OVERLOAD, monitor.maxRss(OVERLOAD), Math::max);
                out.bridgeLogProblems.put(name, logProblems(bridge.dir().resolve("bridge.log")));
                stopBridge(bridge);
                discardData(bridge);
            }
        }
        Processes.stop(bare, Duration.ofSeconds(5));
        Processes.stop(camel, Duration.ofSeconds(5));
        Processes.stop(camelOnBridgeOptions, Duration.ofSeconds(5));
    }

    /** A measured closed-loop run, and the cores its target and the whole machine used meanwhile. */
    private record Measured(Intake.Result result, Report.RunCpu cpu) {
    }

    private static Measured measured(long target, java.util.concurrent.Callable<Intake.Result> run) throws Exception {
        CpuTime.Snapshot from = CpuTime.take();
        Intake.Result result = run.call();
        CpuTime.Shares shares = CpuTime.between(from, CpuTime.take(), Map.of("target", java.util.Set.of(target)));
        return new Measured(result, new Report.RunCpu(shares.of("target"), shares.of("machine")));
    }

    /** A baseline's (process {@code pid}) closed-loop run after an unmeasured one of {@code warm} seconds. */
    private Measured warmedRun(long pid, int port, String endpoint, Path bodies, List<Buffer> javaBodies, int connections, double warm,
                               double measure) throws Exception {
        Intake.run(this, port, endpoint, bodies, javaBodies, connections, warm);
        return measured(pid, () -> Intake.run(this, port, endpoint, bodies, javaBodies, connections, measure));
    }

    /** {@link BareCamel} on {@code port} with these JVM options, once its route answers. */
    private Process startBareCamel(int port, List<String> jvmOptions, String logName) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", benchClassPath(), BareCamel.class.getName(), String.valueOf(port)));
        Path log = work.resolve(logName);
        Process camel = processes.start(command, Map.of(), work, log);
        if (Processes.waitFor200("http://127.0.0.1:" + port + "/v1/track", System.nanoTime(), Duration.ofSeconds(30), camel) == null) {
            throw new IllegalStateException("the bare Camel route did not start; see " + log);
        }
        return camel;
    }

    /** The monitor's phase for the closed-loop intake runs at 64 connections: as many requests as the bridge takes. */
    static final String OVERLOAD = "overload flood (intake, 64 connections)";
    static final double TRACK_OPEN_LOOP_RATE = 5000;
    /**
     * The open loop's warm-up at its rate, unmeasured. With 2 s, the first one to three seconds measured were answered in
     * 170-390 ms in two runs of three and the rest in 20-30 ms: the load generator's own code was still being compiled
     * on the cores the bridge runs on, and the bridge was still settling after the flood.
     */
    static final double TRACK_OPEN_LOOP_WARM_UP_SECONDS = 5;
    /**
     * At most this many /v1/track requests unanswered (a second of the rate): a bridge far slower than the rate would
     * otherwise have the open loop wait minutes for the requests queued in the client, past the run's 10 minutes.
     */
    static final long TRACK_MAX_OUTSTANDING = 5000;

    /**
     * Single events to /v1/track at a fixed rate (open loop: each request due at its time whatever happened to the
     * others, its latency counted from then), on the bridge that was just measured closed loop, right after the same
     * open loop against the bare Camel route. That baseline is what this machine and the client give a route that does
     * nothing, and it compiles the client's own code before the bridge is measured: without it the load generator's
     * compiler took 0.4-0.7 cores during the bridge's first measured seconds on a slow machine, when the bridge needed
     * 1.5 of the 2 cores for the rate, and those seconds read 70-250 ms.
     */
    private void trackOpenLoop(Bridge bridge, int camelPort, List<ObjectNode> people) throws Exception {
        double rate = smoke ? 500 : TRACK_OPEN_LOOP_RATE;
        List<Buffer> bodies = people.stream().map(person -> Buffer.buffer(person.toString())).toList();
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        java.util.function.LongFunction<Load.Request> request =
                due -> new Load.Request("/v1/track", bodies.get((int) (next.getAndIncrement() % bodies.size())));
        out.trackOpenLoopWarmUpSeconds = seconds(TRACK_OPEN_LOOP_WARM_UP_SECONDS, 0.5);
        out.trackOpenLoopBareCamel = warmedOpenLoop(camelPort, rate, request);
        log(String.format("bare Camel /v1/track open loop at %.0f/s: %s; %s", rate,
                Report.spread(out.trackOpenLoopBareCamel.answerMicros()), out.trackOpenLoopBareCamel.timeline()));
        // What the closed loop left for the processor to catch up on: it shares the cores with the open loop.
        log(String.format("intake /v1/track open loop begins with %.0f event(s) in the intake log",
                Processes.metric(bridge.metrics(), "bridge_intake_log_depth")));
        out.trackOpenLoop = warmedOpenLoop(bridge.httpPort(), rate, request);
        out.trackOpenLoopRate = rate;
        log(String.format("intake /v1/track open loop at %.0f/s: %s, non-200 %d of %d (%d not sent: %d unanswered)",
                rate, Report.spread(out.trackOpenLoop.answerMicros()), out.trackOpenLoop.failed(), out.trackOpenLoop.sent(),
                out.trackOpenLoop.shed(), TRACK_MAX_OUTSTANDING));
        log("intake /v1/track open loop: " + out.trackOpenLoop.timeline());
    }

    /** The open loop on 64 fresh connections to {@code port}: the warm-up at the rate, unmeasured, then 10 s measured. */
    private Load.OpenLoopResult warmedOpenLoop(int port, double rate, java.util.function.LongFunction<Load.Request> request)
            throws Exception {
        Load load = new Load(vertx, port, authorization(), 64);
        try {
            load.openLoop(rate, out.trackOpenLoopWarmUpSeconds, TRACK_MAX_OUTSTANDING, request);
            return load.openLoop(rate, seconds(10, 1.5), TRACK_MAX_OUTSTANDING, request);
        } finally {
            load.close();
        }
    }

    String benchClassPath() {
        return System.getProperty("java.class.path");
    }

    boolean useWrk() {
        return useWrk;
    }

    Vertx vertx() {
        return vertx;
    }

    Processes processes() {
        return processes;
    }

    Path work() {
        return work;
    }

    Path repo() {
        return repo;
    }

    private void jfrStart(Bridge bridge, Path recording) throws Exception {
        Path settings = Profile.settingsFile(work);
        jcmd(bridge, "JFR.start", "name=bench", "settings=" + settings, "filename=" + recording);
    }

    private void jfrStop(Bridge bridge) throws Exception {
        jcmd(bridge, "JFR.stop", "name=bench");
    }

    private void jcmd(Bridge bridge, String... command) throws Exception {
        List<String> line = new ArrayList<>();
        line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        line.add(String.valueOf(bridge.process().pid()));
        line.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(work.resolve("jcmd.log").toFile()).start();
        jcmd.waitFor();
    }

    // ---- delivery and latency -----------------------------------------------------------------------------------

    private String deliveryOverrides() {
        return String.join("\n",
                "bridge.destination.emarsys.rate.requests = " + LIMITS.emarsysPerUser(),
                "bridge.destination.emarsys.rate.period = 1s",
                "bridge.destination.emarsys.batch.max-items = " + EMARSYS_BATCH,
                "bridge.destination.iterablebulk.vendor = iterable",
                "bridge.destination.iterablebulk.base-url = http://127.0.0.1:" + fakes.iterablePort,
                "bridge.destination.iterablebulk.api-key = " + ITERABLE_BULK_KEY,
                "bridge.destination.iterablebulk.rate.requests = 2000",
                "bridge.destination.iterablebulk.rate.period = 1s",
                "bridge.destination.iterablebulk.batch.max-items = " + ITERABLE_BULK_BATCH,
                "");
    }

    private Map<String, String> vendorEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BRIDGE_DESTINATIONS", "emarsys,sailthru,iterable,segment,iterablebulk");
        env.put("EMARSYS_API_URL", "http://127.0.0.1:" + fakes.emarsysPort + "/api/v2");
        env.put("EMARSYS_API_USER", EMARSYS_USER);
        env.put("EMARSYS_API_SECRET", "bench-emarsys-secret");
        env.put("SAILTHRU_API_URL", "http://127.0.0.1:" + fakes.sailthruPort);
        env.put("SAILTHRU_API_KEY", SAILTHRU_KEY);
        env.put("SAILTHRU_API_SECRET", "bench-sailthru-secret");
        env.put("ITERABLE_API_URL", "http://127.0.0.1:" + fakes.iterablePort);
        env.put("ITERABLE_API_KEY", ITERABLE_KEY);
        // The shipped opt-out route needs a message type to start; no bench event is an opt-out, so it is never sent.
        env.put("BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES", "1001");
        return env;
    }

    private void deliveryPhase() throws Exception {
        String overrides = deliveryOverrides();
        Map<String, String> env = vendorEnv();
        out.deliveryOverrides = overrides.replace(String.valueOf(fakes.iterablePort), "<fake>");

        // Delivery: each group's backlog is queued by a bridge with delivery disabled, then drained by a bridge with
        // delivery enabled on the same data folder, so what is measured is delivery alone, from a full queue.
        Delivery delivery = new Delivery(this);
        Path data = work.resolve("delivery-data");
        for (String group : List.of("identify", "track")) {
            Bridge drainer = loadAndStartDrain(delivery, group, data, overrides, env, true);
            monitor.watch(drainer.process().pid(), "drain " + group);
            delivery.drain(group, true);
            out.loadedRss.put("drain " + group, monitor.maxRss("drain " + group));
            out.vendorLatency.put("the " + group + " group's draining bridge", vendorLatency(drainer));
            collectDeliveryMetrics(drainer);
            stopBridge(drainer);
            out.bridgeLogProblems.put("drain-" + group, logProblems(drainer.dir().resolve("bridge.log")));
        }
        // The profile: the track group once more, recorded. Its drain is not measured: the recorder's sampling and
        // event stacks took a fifth of the pacers' ceiling off the bulk endpoints it ran beside. A data folder of its
        // own, since the first one's dedupe ledger knows these events' messageIds and would drop them.
        deleteTree(data);
        Path profileData = work.resolve("delivery-profile-data");
        Path recording = work.resolve("delivery-track.jfr");
        Bridge profiled = loadAndStartDrain(delivery, "track", profileData, overrides, env, false);
        jfrStart(profiled, recording);
        delivery.drain("track", false);
        jfrStop(profiled);
        out.deliveryProfile = Profile.summarise(recording);
        stopBridge(profiled);
        deleteTree(profileData);
    }

    /** Queues the group's backlog through a bridge with delivery disabled, then starts the bridge that drains it. */
    private Bridge loadAndStartDrain(Delivery delivery, String group, Path data, String overrides, Map<String, String> env,
                                     boolean measured) throws Exception {
        String name = (measured ? "" : "profile-") + group;
        Bridge loader = startBridge("load-" + name, data, overrides + "bridge.delivery.enabled = false\n", env, this::addBulkRoutes);
        Load pusher = new Load(vertx, loader.httpPort(), authorization(), 4);
        delivery.load(group, loader, pusher, seconds(10, 1.5), measured);
        pusher.close();
        stopBridge(loader);
        fakes().reset();
        return startBridge("drain-" + name, data, overrides, env, this::addBulkRoutes);
    }

    /**
     * The shipped four destinations against fakes without limits ({@link AllDestinations}): each destination's
     * processing rate (a drain), then on one fresh bridge the latency at 500 and 1,000 events/s and the sustained run.
     */
    private void allDestinationsPhase() throws Exception {
        processingPart();
        latencyPart();
    }

    /** Latency at fixed rates, then the sustained run, on one fresh bridge delivering to the shipped four destinations. */
    private void latencyPart() throws Exception {
        String overrides = AllDestinations.overrides();
        Map<String, String> env = AllDestinations.env(freeFakes);
        out.allDestinationsOverrides = overrides;
        Bridge bridge = startBridge("latency", overrides, env, null);
        Thread.sleep((long) (seconds(5, 1) * 1000));
        out.idleRss.put("latency", Processes.rssKib(bridge.process().pid()));
        Load load = new Load(vertx, bridge.httpPort(), authorization(), 16);
        monitor.watch(bridge.process().pid(), "latency");
        Latency.run(this, freeFakes, bridge, load, 10, seconds(15, 1), smoke ? new double[][] {{500, 1}, {1000, 1}}
                : new double[][] {{500, 10}, {1000, 10}}, smoke ? 15 : 30);
        out.loadedRss.put("latency", monitor.maxRss("latency"));
        monitor.watch(bridge.process().pid(), "sustained");
        out.sustained = Sustained.run(this, freeFakes, bridge, load, SUSTAINED_RATE, 10, sustainedSeconds);
        out.loadedRss.put("sustained", monitor.maxRss("sustained"));
        Sustained.Result sustained = out.sustained;
        log(String.format("sustained at %.0f/s for %.0f s: backlog slope %.1f events/s (%s), starved %s, non-200 %d, RSS peak %d MiB",
                sustained.rate(), sustained.seconds(), sustained.slope(), sustained.flat() ? "flat" : "growing", sustained.starved(),
                sustained.non200(), sustained.rssPeakKib() / 1024));
        out.bridgeLogProblems.put("latency", logProblems(bridge.dir().resolve("bridge.log")));
        collectDeliveryMetrics(bridge);
        bench429s(freeFakes);
        load.close();
        stopBridge(bridge);
        discardData(bridge);
    }

    /**
     * Events of the processing drain's backlog, every one for every destination: enough that all four destinations
     * still receive, each at its steady pace, for a few seconds after the slowest has warmed up (the fastest finishes
     * 16,000 in about the time the bridge takes to warm up).
     */
    private static final int PROCESSING_BACKLOG = 40_000;

    /** A backlog for the shipped four destinations, queued with delivery off, then drained against fakes without limits. */
    private void processingPart() throws Exception {
        String overrides = AllDestinations.overrides();
        Map<String, String> env = AllDestinations.env(freeFakes);
        out.allDestinationsOverrides = overrides;

        Processing processing = new Processing(this, freeFakes);
        bareCamelClient(smoke ? 400 : 40_000, 2 * maxConcurrentRequests());
        Path data = work.resolve("processing-data");
        Bridge loader = startBridge("load-processing", data, overrides + "bridge.delivery.enabled = false\n", env, null);
        processing.load(loader, smoke ? 400 : PROCESSING_BACKLOG);
        stopBridge(loader);
        freeFakes.reset();
        Bridge drainer = startBridge("drain-processing", data, overrides + AllDestinations.unpacedEndpoints(), env, null);
        monitor.watch(drainer.process().pid(), "drain processing");
        processing.drain(drainer, seconds(40, 3));
        out.loadedRss.put("drain processing", monitor.maxRss("drain processing"));
        out.processingVendorLatency = vendorLatency(drainer);
        collectDeliveryMetrics(drainer);
        out.bridgeLogProblems.put("drain-processing", logProblems(drainer.dir().resolve("bridge.log")));
        stopBridge(drainer);
        deleteTree(data);
    }

    static final double SUSTAINED_RATE = 1000;

    /**
     * The ceiling of the single-event destinations' requests: {@link BareCamelClient}, with the bridge's JVM options,
     * sends {@code requests} (as many as Sailthru and Iterable get in the processing drain) to the fake Iterable with
     * {@code inFlight} outstanding (the two destinations' together); the figure is the fake's steady rate, measured
     * as the drain's figures are.
     */
    private void bareCamelClient(int requests, int inFlight) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(bridgeJvmOptions());
        command.addAll(List.of("-cp", benchClassPath(), BareCamelClient.class.getName(), String.valueOf(freeFakes.iterablePort),
                String.valueOf(requests), String.valueOf(inFlight)));
        Path log = work.resolve("bare-camel-client.log");
        Process client = processes.start(command, Map.of(), work, log);
        if (!client.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) || client.exitValue() != 0) {
            throw new IllegalStateException("the bare Camel client failed; see " + log);
        }
        String[] steady = Files.readAllLines(log).stream().filter(line -> line.startsWith(BareCamelClient.STEADY)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the bare Camel client printed no steady stretch; see " + log))
                .substring(BareCamelClient.STEADY.length()).trim().split(" ");
        FakeVendors.Endpoint received = freeFakes.endpoint("iterable POST /api/events/track [" + BareCamelClient.API_KEY + "]");
        out.processingBareClient = new Report.BareClient(requests, inFlight, received.steadyRate(0.2, 0.95),
                Double.parseDouble(steady[1]) * 1e6 / Long.parseLong(steady[0]));
        log(String.format("bare Camel client: %,d of %,d requests received, %d in flight, steady %,.0f requests/s, %.0f µs of its CPU a request",
                received.requests(), requests, inFlight, out.processingBareClient.steadyRate(), out.processingBareClient.clientMicros()));
        freeFakes.reset();
    }

    /** {@code bridge.delivery.max-concurrent-requests} as application.properties ships it: a destination's requests in flight. */
    private int maxConcurrentRequests() throws IOException {
        java.util.Properties shipped = new java.util.Properties();
        try (var in = Files.newBufferedReader(repo.resolve("application.properties"))) {
            shipped.load(in);
        }
        return Integer.parseInt(shipped.getProperty("bridge.delivery.max-concurrent-requests").trim());
    }

    /** The bridge's JVM options: BRIDGE_JVM_OPTIONS when this run has it, else bin/segment-bridge's default. */
    private List<String> bridgeJvmOptions() throws IOException {
        String options = System.getenv("BRIDGE_JVM_OPTIONS");
        if (options == null || options.isBlank()) {
            Matcher fallback = Pattern.compile("\\$\\{BRIDGE_JVM_OPTIONS:-([^}]*)}").matcher(Files.readString(repo.resolve("bin/segment-bridge")));
            if (!fallback.find()) {
                throw new IllegalStateException("bin/segment-bridge names no default BRIDGE_JVM_OPTIONS");
            }
            options = fallback.group(1);
        }
        return List.of(options.trim().split("\\s+"));
    }

    private void bench429s(FakeVendors vendors) {
        out.collect429s(vendors);
        vendors.reset();
    }

    /** What the bridge's destinations timed of their vendors' answers, logged. */
    private static List<Delivery.VendorLatency> vendorLatency(Bridge bridge) {
        List<Delivery.VendorLatency> latencies = Delivery.VendorLatency.of(bridge.metrics());
        latencies.forEach(latency -> log(String.format("  vendor latency %s %s: mean %.0f ms, max %.0f ms, %d requests",
                latency.destination(), latency.action(), latency.meanMillis(), latency.maxMillis(), latency.requests())));
        return latencies;
    }

    private void collectDeliveryMetrics(Bridge bridge) {
        String metrics = bridge.metrics();
        out.bridgeRetried += Processes.metric(metrics, "bridge_delivery_items_total", "outcome=\"retried\"");
        out.bridgeDeadLettered += Processes.metric(metrics, "bridge_delivery_items_total", "outcome=\"dead_lettered\"");
        out.bridgeRateLimited += Processes.metric(metrics, "bridge_delivery_rate_limited_total");
    }

    /** Iterable's shipped user-update and custom-events routes with their bulk actions, for the iterablebulk destination. */
    void addBulkRoutes(Path routes) throws IOException {
        Path bulk = routes.resolve("iterablebulk");
        Files.createDirectories(bulk);
        for (String file : List.of("user-update.yaml", "custom-events.yaml")) {
            String route = Files.readString(repo.resolve("routes/iterable/" + file))
                    .replace("events:iterable", "events:iterablebulk")
                    .replace("id: iterable-", "id: iterablebulk-")
                    .replace("deliver:iterable:user-update", "deliver:iterablebulk:user-bulk-update")
                    .replace("deliver:iterable:event", "deliver:iterablebulk:event-bulk");
            Files.writeString(bulk.resolve(file), "# bench/run: routes/iterable/" + file
                    + " with the bulk action, for the iterablebulk destination\n" + route);
        }
    }

    static String logProblems(Path log) throws IOException {
        Map<String, Long> counts = Files.readAllLines(log).stream()
                .filter(line -> line.contains(" ERROR ") || (line.contains(" WARN ") && line.contains("dead-lettered")))
                .map(line -> line.replaceAll("^\\S+ ", "").replaceAll("messageId \\S+", "messageId …"))
                .map(line -> line.length() > 160 ? line.substring(0, 160) + "…" : line)
                .collect(Collectors.groupingBy(line -> line, LinkedHashMap::new, Collectors.counting()));
        return counts.isEmpty() ? "none" : counts.entrySet().stream().limit(5)
                .map(entry -> entry.getValue() + " × " + entry.getKey()).collect(Collectors.joining("; "));
    }

    FakeVendors fakes() {
        return fakes;
    }

    Events events() {
        return events;
    }

    Report out() {
        return out;
    }

    boolean smoke() {
        return smoke;
    }

    static void log(String message) {
        System.out.println("[bench " + Instant.now().toString().substring(11, 19) + "] " + message);
        System.out.flush();
    }

    static Histogram histogram() {
        return new Histogram(3_600_000_000L, 3);
    }

    static JsonNode json(String text) throws IOException {
        return Events.JSON.readTree(text);
    }

    static Set<String> only(String destination) {
        return Set.of(destination);
    }
}
