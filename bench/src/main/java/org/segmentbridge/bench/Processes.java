package org.segmentbridge.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The child processes of a run (the bridge, the bare server, wrk): started with their output in a log file, their pids
 * written to {@code pids} (so bench/run's trap can end them should this JVM die), stopped by their own pid at the end.
 * Also reads a process's resident memory and the bridge's health and metrics.
 */
final class Processes {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path pidFile;
    private final List<Process> started = new ArrayList<>();
    /** Processes of this run that are not its children (a daemon such as PostgreSQL's postmaster, started by pg_ctl). */
    private final java.util.Set<Long> adopted = ConcurrentHashMap.newKeySet();

    Processes(Path pidFile) {
        this.pidFile = pidFile;
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "bench-stop"));
    }

    synchronized Process start(List<String> command, Map<String, String> env, Path workingDirectory, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        started.add(process);
        Files.writeString(pidFile, process.pid() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return process;
    }

    /**
     * Records a process this run started indirectly (pg_ctl's postmaster, which detaches from its parent) as this run's:
     * its pid goes to {@code pids} like a child's (bench/run's trap ends it should this JVM die), and neither it nor its
     * children count as other processes' CPU. Stopping it is the caller's job.
     */
    synchronized void adopt(long pid) throws IOException {
        adopted.add(pid);
        Files.writeString(pidFile, pid + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    java.util.Set<Long> adopted() {
        return adopted;
    }

    /** SIGTERM, then SIGKILL after {@code grace} if it is still there. */
    static void stop(Process process, Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    synchronized void stopAll() {
        for (Process process : started) {
            stop(process, Duration.ofSeconds(10));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** VmRSS of the process in KiB, or -1 when it cannot be read. */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Polls {@code url} every 20 ms until it answers 200; the time from {@code sinceNanos} to then, or null. */
    static Duration waitFor200(String url, long sinceNanos, Duration timeout, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                return null;
            }
            try {
                HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return Duration.ofNanos(System.nanoTime() - sinceNanos);
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(20);
        }
        return null;
    }

    static String get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** A counter's samples summed by the value of one of its labels, in the order first seen. */
    static Map<String, Double> byLabel(String prometheusText, String name, String label) {
        Map<String, Double> sums = new java.util.LinkedHashMap<>();
        String key = label + "=\"";
        for (String line : prometheusText.split("\n")) {
            int at = line.indexOf(key);
            if (!line.startsWith(name + "{") || at < 0) {
                continue;
            }
            String value = line.substring(at + key.length(), line.indexOf('"', at + key.length()));
            try {
                sums.merge(value, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
            } catch (NumberFormatException ignored) {
                // not a sample line
            }
        }
        return sums;
    }

    /** Sum of a Prometheus metric's samples whose labels contain every one of {@code labelParts}. */
    static double metric(String prometheusText, String name, String... labelParts) {
        double sum = 0;
        for (String line : prometheusText.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean matches = true;
            for (String part : labelParts) {
                matches &= line.contains(part);
            }
            if (matches) {
                try {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } catch (NumberFormatException ignored) {
                    // not a sample line
                }
            }
        }
        return sum;
    }

    /**
     * Every 250 ms: the bridge's VmRSS (the largest kept per phase), and how much CPU processes other than this run's
     * used (the machine may be shared: such load lowers every figure, so the report states it per phase).
     */
    final class Monitor implements AutoCloseable {
        private static final double TICKS_PER_SECOND = 100;
        private final Map<String, Long> maxRss = new ConcurrentHashMap<>();
        /** Per phase: seconds of CPU used by other processes, by the watched bridge, by the whole machine; seconds elapsed. */
        private final Map<String, double[]> foreign = new ConcurrentHashMap<>();
        private final Map<Long, Long> lastTicks = new java.util.HashMap<>();

        /**
         * CPU ticks used since the last call by user-space processes that are neither this JVM, its descendants (the
         * bridge, the bare server, wrk, jcmd) nor its ancestors (bench/run). Kernel threads are left out: they also do
         * the loopback network work of this run's own processes.
         */
        private long foreignTicks() {
            Map<Long, long[]> stats = new java.util.HashMap<>();
            try (java.util.stream.Stream<Path> entries = Files.list(Path.of("/proc"))) {
                for (Path entry : entries.toList()) {
                    String name = entry.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        String stat = Files.readString(entry.resolve("stat"));
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        stats.put(Long.parseLong(name), new long[] {Long.parseLong(fields[1]),
                                Long.parseLong(fields[11]) + Long.parseLong(fields[12])});
                    } catch (IOException | RuntimeException gone) {
                        // the process ended meanwhile
                    }
                }
            } catch (IOException e) {
                return 0;
            }
            long self = ProcessHandle.current().pid();
            java.util.Set<Long> ancestors = new java.util.HashSet<>();
            ProcessHandle.current().parent().ifPresent(parent -> {
                for (java.util.Optional<ProcessHandle> up = java.util.Optional.of(parent); up.isPresent(); up = up.get().parent()) {
                    ancestors.add(up.get().pid());
                }
            });
            long total = 0;
            Map<Long, Long> seen = new java.util.HashMap<>();
            for (Map.Entry<Long, long[]> entry : stats.entrySet()) {
                long pid = entry.getKey();
                seen.put(pid, entry.getValue()[1]);
                if (pid == 2 || entry.getValue()[0] == 2 || pid == self || ancestors.contains(pid) || descends(pid, self, stats)
                        || adopted.contains(pid) || adopted.stream().anyMatch(root -> descends(pid, root, stats))) {
                    continue;
                }
                Long before = lastTicks.get(pid);
                total += before == null ? 0 : Math.max(0, entry.getValue()[1] - before);
            }
            lastTicks.clear();
            lastTicks.putAll(seen);
            return total;
        }

        private boolean descends(long pid, long ancestor, Map<Long, long[]> stats) {
            long current = pid;
            for (int depth = 0; depth < 64; depth++) {
                long[] stat = stats.get(current);
                if (stat == null || stat[0] <= 1) {
                    return false;
                }
                if (stat[0] == ancestor) {
                    return true;
                }
                current = stat[0];
            }
            return false;
        }
        private final Thread thread;
        private volatile long pid = -1;
        private volatile String phase = "";
        private volatile boolean running = true;

        Monitor() {
            thread = new Thread(this::sample, "bench-monitor");
            thread.setDaemon(true);
            thread.start();
        }

        private void sample() {
            foreignTicks();
            long lastNanos = System.nanoTime();
            long lastBusy = busyTicks();
            long lastPid = -1;
            long lastBridge = -1;
            while (running) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                String label = phase;
                long current = pid;
                if (current > 0 && !label.isEmpty()) {
                    long rss = rssKib(current);
                    if (rss > 0) {
                        maxRss.merge(label, rss, Math::max);
                    }
                }
                long others = foreignTicks();
                long busy = busyTicks();
                long bridge = current > 0 ? bridgeTicks(current) : -1;
                long now = System.nanoTime();
                if (!label.isEmpty()) {
                    double[] totals = foreign.computeIfAbsent(label, any -> new double[4]);
                    totals[0] += others / TICKS_PER_SECOND;
                    totals[1] += (now - lastNanos) / 1e9;
                    if (current == lastPid && bridge >= 0 && lastBridge >= 0) {
                        totals[2] += (bridge - lastBridge) / TICKS_PER_SECOND;
                    }
                    if (busy >= 0 && lastBusy >= 0) {
                        totals[3] += (busy - lastBusy) / TICKS_PER_SECOND;
                    }
                }
                lastBusy = busy;
                lastPid = current;
                lastBridge = bridge;
                lastNanos = now;
            }
        }

        void watch(long pid, String phase) {
            this.pid = pid;
            this.phase = phase;
        }

        void pause() {
            this.phase = "";
        }

        long maxRss(String phase) {
            return maxRss.getOrDefault(phase, -1L);
        }

        /** Per phase, in cores (0 to the number of cores): {other processes, the bridge, the whole machine busy}. */
        Map<String, double[]> cores() {
            Map<String, double[]> cores = new java.util.LinkedHashMap<>();
            foreign.forEach((label, totals) -> cores.put(label, totals[1] == 0 ? new double[3]
                    : new double[] {totals[0] / totals[1], totals[2] / totals[1], totals[3] / totals[1]}));
            return cores;
        }

        private long bridgeTicks(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /** Clock ticks all CPUs were busy (user, nice, system, irq, softirq, steal). */
        private long busyTicks() {
            try {
                String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long busy = 0;
                for (int i = 1; i <= 8 && i < cpu.length; i++) {
                    if (i != 4 && i != 5) {
                        busy += Long.parseLong(cpu[i]);
                    }
                }
                return busy;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }
}
