package org.segmentbridge.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import io.vertx.core.buffer.Buffer;

/** One closed-loop intake run: wrk when it is installed, else the Java closed loop. */
final class Intake {

    static final int WRK_THREADS = 2;

    record Result(String tool, double perSecond, long requests, long non200, long socketErrors, long p50Micros,
                  long p99Micros, long maxMicros) {
    }

    private Intake() {
    }

    static Result run(BenchRun bench, int port, String endpoint, Path bodies, List<Buffer> javaBodies, int connections,
                      double seconds) throws Exception {
        return runSplit(bench, List.of(new Target(port, bodies, javaBodies)), endpoint, connections, WRK_THREADS, seconds);
    }

    /** A bridge of a split run, with the bodies only it gets (so no two bridges see one person at the same moment). */
    record Target(int port, Path bodies, List<Buffer> javaBodies) {
    }

    /**
     * One closed-loop run against several bridges at once, as a load balancer in front of them would spread it:
     * {@code connections} and {@code threads} in all, divided evenly among the targets (one wrk process, or one Java
     * closed loop, per bridge, all started together). The result sums the rates and errors; its latency percentiles
     * are the slowest target's.
     */
    static Result runSplit(BenchRun bench, List<Target> targets, String endpoint, int connections, int threads,
                           double seconds) throws Exception {
        String authorization = "Basic " + java.util.Base64.getEncoder().encodeToString((BenchRun.WRITE_KEY + ":").getBytes());
        String path = "/v1/" + endpoint;
        int each = Math.max(1, connections / targets.size());
        int threadsEach = Math.max(1, threads / targets.size());
        List<Result> results = new ArrayList<>();
        if (bench.useWrk()) {
            Path script = bench.repo().resolve("bench/wrk/intake.lua");
            List<Process> running = new ArrayList<>();
            List<Path> logs = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                Target target = targets.get(i);
                Path log = bench.work().resolve(targets.size() == 1 ? "wrk.log" : "wrk-" + i + ".log");
                List<String> command = new ArrayList<>(List.of("wrk", "-t" + threadsEach, "-c" + each,
                        "-d" + Math.max(1, Math.round(seconds)) + "s", "--timeout", "10s", "-s", script.toString(),
                        "http://127.0.0.1:" + target.port() + path));
                running.add(bench.processes().start(command, Map.of("BENCH_BODIES", target.bodies().toString(),
                        "BENCH_AUTH", authorization, "BENCH_THREADS", String.valueOf(threadsEach)), bench.work(), log));
                logs.add(log);
            }
            for (int i = 0; i < running.size(); i++) {
                running.get(i).waitFor();
                results.add(readWrk(logs.get(i)));
            }
        } else {
            List<Load> loads = new ArrayList<>();
            List<CompletableFuture<Load.ClosedLoopResult>> futures = new ArrayList<>();
            // A thread per target: the closed loops block until their end and must run at the same time.
            java.util.concurrent.ExecutorService threadsOfTargets = java.util.concurrent.Executors.newCachedThreadPool();
            try {
                for (Target target : targets) {
                    Load load = new Load(bench.vertx(), target.port(), authorization, each);
                    loads.add(load);
                    futures.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return load.closedLoop(path, target.javaBodies(), each, seconds);
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                    }, threadsOfTargets));
                }
                for (CompletableFuture<Load.ClosedLoopResult> future : futures) {
                    Load.ClosedLoopResult result = future.get();
                    results.add(new Result("java", result.requests() / result.seconds(), result.requests(), result.non200(), 0,
                            result.latencyMicros().getValueAtPercentile(50), result.latencyMicros().getValueAtPercentile(99),
                            result.latencyMicros().getMaxValue()));
                }
            } finally {
                loads.forEach(Load::close);
                threadsOfTargets.shutdownNow();
            }
        }
        if (results.size() == 1) {
            return results.get(0);
        }
        return new Result(results.get(0).tool(), results.stream().mapToDouble(Result::perSecond).sum(),
                results.stream().mapToLong(Result::requests).sum(), results.stream().mapToLong(Result::non200).sum(),
                results.stream().mapToLong(Result::socketErrors).sum(), results.stream().mapToLong(Result::p50Micros).max().orElse(0),
                results.stream().mapToLong(Result::p99Micros).max().orElse(0), results.stream().mapToLong(Result::maxMicros).max().orElse(0));
    }

    private static Result readWrk(Path log) throws Exception {
        String line = Files.readAllLines(log).stream().filter(each -> each.startsWith("BENCHJSON ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("wrk printed no summary; see " + log));
        var json = BenchRun.json(line.substring("BENCHJSON ".length()));
        double duration = json.get("duration_us").asLong() / 1e6;
        long socketErrors = json.get("connect_errors").asLong() + json.get("read_errors").asLong()
                + json.get("write_errors").asLong() + json.get("timeouts").asLong();
        return new Result("wrk", json.get("requests").asLong() / duration, json.get("requests").asLong(),
                json.get("non2xx").asLong(), socketErrors, json.get("p50_us").asLong(), json.get("p99_us").asLong(),
                json.get("max_us").asLong());
    }
}
