package org.segmentbridge.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        String authorization = "Basic " + java.util.Base64.getEncoder().encodeToString((BenchRun.WRITE_KEY + ":").getBytes());
        String path = "/v1/" + endpoint;
        if (bench.useWrk()) {
            Path script = bench.repo().resolve("bench/wrk/intake.lua");
            Path log = bench.work().resolve("wrk.log");
            List<String> command = new ArrayList<>(List.of("wrk", "-t" + WRK_THREADS, "-c" + connections,
                    "-d" + Math.max(1, Math.round(seconds)) + "s", "--timeout", "10s", "-s", script.toString(),
                    "http://127.0.0.1:" + port + path));
            Process wrk = bench.processes().start(command, Map.of("BENCH_BODIES", bodies.toString(),
                    "BENCH_AUTH", authorization, "BENCH_THREADS", String.valueOf(WRK_THREADS)), bench.work(), log);
            wrk.waitFor();
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
        Load load = new Load(bench.vertx(), port, authorization, connections);
        try {
            Load.ClosedLoopResult result = load.closedLoop(path, javaBodies, connections, seconds);
            return new Result("java", result.requests() / result.seconds(), result.requests(), result.non200(), 0,
                    result.latencyMicros().getValueAtPercentile(50), result.latencyMicros().getValueAtPercentile(99),
                    result.latencyMicros().getMaxValue());
        } finally {
            load.close();
        }
    }
}
