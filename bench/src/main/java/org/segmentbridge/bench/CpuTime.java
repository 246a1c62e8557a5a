package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The CPU time processes used between two moments, by group, read from {@code /proc}: for the cluster part, where the
 * bridges share two cores with a Kafka broker, a PostgreSQL server and the load generator, which of them used the CPU
 * is the finding. A group is named by its root pids; a process belongs to the group of its nearest ancestor (or
 * itself) that is a root, so wrk (a child of the harness) counts for the harness and a PostgreSQL backend for
 * PostgreSQL. Each process counts its own time and that of its children it reaped ({@code cutime}, {@code cstime}),
 * so a wrk that started and ended within the window is not lost. Processes in no group, but for kernel threads and
 * bench/run's shell above the harness, are "others" (their own time only, live processes only): the machine may be
 * shared.
 */
final class CpuTime {

    private static final double TICKS_PER_SECOND = 100;

    /** One process: its parent, its own CPU ticks so far and those of the children it reaped. */
    private record Stat(long ppid, long own, long children) {
    }

    /** The state of every process, and the machine's busy ticks, at one moment. */
    static final class Snapshot {
        private final Map<Long, Stat> stats;
        private final long busyTicks;
        private final long nanos;

        private Snapshot(Map<Long, Stat> stats, long busyTicks, long nanos) {
            this.stats = stats;
            this.busyTicks = busyTicks;
            this.nanos = nanos;
        }
    }

    /** Cores (0 to the number of cores) each group used between two snapshots, with "others" and "machine". */
    record Shares(Map<String, Double> cores, double seconds) {
        double of(String group) {
            return cores.getOrDefault(group, 0.0);
        }
    }

    private CpuTime() {
    }

    static Snapshot take() {
        Map<Long, Stat> stats = new HashMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    stats.put(Long.parseLong(name), stat(entry));
                } catch (IOException | RuntimeException gone) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            // no /proc: every share reads 0
        }
        return new Snapshot(stats, busyTicks(), System.nanoTime());
    }

    /**
     * What each group of {@code groups} (label to root pids, in order) used between {@code from} and {@code to}, in
     * cores, plus "others" (processes in no group, but for kernel threads and the harness' ancestors) and "machine"
     * (every CPU's busy time, kernel included).
     */
    static Shares between(Snapshot from, Snapshot to, Map<String, Set<Long>> groups) {
        double seconds = (to.nanos - from.nanos) / 1e9;
        Map<Long, String> rootGroup = new HashMap<>();
        groups.forEach((label, roots) -> roots.forEach(root -> rootGroup.putIfAbsent(root, label)));
        Set<Long> ancestors = new HashSet<>();
        ProcessHandle.current().parent().ifPresent(parent -> {
            for (java.util.Optional<ProcessHandle> up = java.util.Optional.of(parent); up.isPresent(); up = up.get().parent()) {
                ancestors.add(up.get().pid());
            }
        });
        Map<String, Double> ticks = new LinkedHashMap<>();
        groups.keySet().forEach(label -> ticks.put(label, 0.0));
        ticks.put("others", 0.0);
        for (Map.Entry<Long, Stat> entry : to.stats.entrySet()) {
            long pid = entry.getKey();
            Stat now = entry.getValue();
            if (pid == 2 || now.ppid() == 2 || ancestors.contains(pid)) {
                continue;
            }
            Stat before = from.stats.get(pid);
            boolean same = before != null && before.ppid() == now.ppid();
            String group = groupOf(pid, to.stats, rootGroup);
            long used = Math.max(0, now.own() - (same ? before.own() : 0));
            if (group != null) {
                // Reaped children count for a group's own processes only: another process' reaped child may have run
                // for hours before the window (a build reaping its test JVM).
                used += Math.max(0, now.children() - (same ? before.children() : 0));
            }
            ticks.merge(group == null ? "others" : group, (double) used, Double::sum);
        }
        Map<String, Double> cores = new LinkedHashMap<>();
        ticks.forEach((label, count) -> cores.put(label, seconds <= 0 ? 0 : count / TICKS_PER_SECOND / seconds));
        cores.put("machine", seconds <= 0 || from.busyTicks < 0 || to.busyTicks < 0 ? 0
                : (to.busyTicks - from.busyTicks) / TICKS_PER_SECOND / seconds);
        return new Shares(cores, seconds);
    }

    private static String groupOf(long pid, Map<Long, Stat> stats, Map<Long, String> rootGroup) {
        long current = pid;
        for (int depth = 0; depth < 64 && current > 1; depth++) {
            String group = rootGroup.get(current);
            if (group != null) {
                return group;
            }
            Stat stat = stats.get(current);
            if (stat == null) {
                return null;
            }
            current = stat.ppid();
        }
        return null;
    }

    /**
     * CPU seconds this JVM has used, its child processes left out: the harness' (the load generator and the fakes), or
     * a child's own (the bare Camel client's).
     */
    static double thisJvmSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    /** CPU seconds process {@code pid} has used itself (user and system), or NaN once it is gone. */
    static double secondsOf(long pid) {
        try {
            return stat(Path.of("/proc", String.valueOf(pid))).own() / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException gone) {
            return Double.NaN;
        }
    }

    /** A process' entry of /proc, read. */
    private static Stat stat(Path entry) throws IOException {
        String stat = Files.readString(entry.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[1] ppid; [11] utime, [12] stime, [13] cutime, [14] cstime (proc(5), counted from state)
        return new Stat(Long.parseLong(fields[1]), Long.parseLong(fields[11]) + Long.parseLong(fields[12]),
                Long.parseLong(fields[13]) + Long.parseLong(fields[14]));
    }

    /** Clock ticks all CPUs were busy (user, nice, system, irq, softirq, steal), or -1. */
    private static long busyTicks() {
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
}
