package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of the bridge: where its Java threads were sampled ({@code jdk.ExecutionSample}, as
 * {@code jfr print --events jdk.ExecutionSample} lists them) by subsystem and by method, where its working threads
 * waited (jdk.ThreadPark, jdk.JavaMonitorEnter over 20 ms), and how often and how long it forced files to disk
 * ({@code jdk.FileForce}, every one: the settings file sets its threshold to 0).
 */
final class Profile {

    /** Package prefix → subsystem, first match wins; a sample belongs to the first non-JDK frame from the top. */
    private static final Map<String, String> SUBSYSTEMS = new LinkedHashMap<>();

    static {
        SUBSYSTEMS.put("org.h2.", "H2 (state store: identity, dedupe ledger)");
        SUBSYSTEMS.put("com.zaxxer.hikari.", "HikariCP (state store pool)");
        SUBSYSTEMS.put("org.apache.activemq.artemis.", "Artemis (queue, journal)");
        SUBSYSTEMS.put("org.messaginghub.", "pooled-jms");
        SUBSYSTEMS.put("com.fasterxml.jackson.", "Jackson (JSON)");
        SUBSYSTEMS.put("com.jayway.jsonpath.", "Jayway JsonPath");
        SUBSYSTEMS.put("net.minidev.", "Jayway JsonPath");
        SUBSYSTEMS.put("io.netty.", "Netty (HTTP I/O)");
        SUBSYSTEMS.put("io.vertx.", "Vert.x");
        SUBSYSTEMS.put("org.apache.camel.", "Camel");
        SUBSYSTEMS.put("org.segmentbridge.", "bridge code");
        SUBSYSTEMS.put("io.micrometer.", "Micrometer");
        SUBSYSTEMS.put("ch.qos.logback.", "logging");
        SUBSYSTEMS.put("org.slf4j.", "logging");
        SUBSYSTEMS.put("io.github.bucket4j.", "bucket4j (pacers)");
    }

    record Share(String name, long samples, double percent) {
    }

    record Summary(long samples, List<Share> subsystems, List<Share> inclusive, List<Share> selfMethods,
                   List<Share> bridgeMethods, List<Share> threads, long fileForces, Duration fileForceTime,
                   Map<String, Long> fileForcesByFolder, List<Wait> waits, Duration recorded, double jvmUser,
                   double jvmSystem, double machineTotal) {
    }

    /** Time working threads spent parked or blocked at one place (jdk.ThreadPark, jdk.JavaMonitorEnter over 20 ms). */
    record Wait(String threads, String where, long count, Duration total) {
    }

    /** Threads that do the bridge's work (not pools waiting for work). */
    private static final Pattern WORKING_THREADS = Pattern.compile("vert\\.x-worker-thread-.*|vert\\.x-eventloop-thread-.*|subscription-.*|delivery-.*");

    private Profile() {
    }

    /**
     * JFR's low-overhead default.jfc with Java method samples every 10 ms (not 20) and every jdk.FileForce (threshold 0,
     * not 20 ms), written next to the recording; profile.jfc's extra events would cost the measured process more.
     */
    static Path settingsFile(Path directory) throws IOException {
        String text = Files.readString(Path.of(System.getProperty("java.home"), "lib", "jfr", "default.jfc"));
        text = setting(text, "jdk.FileForce", "threshold", "0 ms");
        text = setting(text, "jdk.ExecutionSample", "period", "10 ms");
        Path settings = directory.resolve("bench.jfc");
        Files.writeString(settings, text);
        return settings;
    }

    private static String setting(String jfc, String event, String name, String value) {
        Matcher matcher = Pattern.compile("(<event name=\"" + Pattern.quote(event) + "\">.*?<setting name=\"" + name
                + "\"[^>]*>)[^<]*(</setting>)", Pattern.DOTALL).matcher(jfc);
        return matcher.find() ? jfc.substring(0, matcher.start()) + matcher.group(1) + value + matcher.group(2) + jfc.substring(matcher.end()) : jfc;
    }

    static Summary summarise(Path recording) throws IOException {
        Map<String, Long> subsystem = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> bridge = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        long samples = 0;
        long forces = 0;
        Duration forceTime = Duration.ZERO;
        Map<String, Long> forcesByFolder = new java.util.TreeMap<>();
        Map<String, Wait> waits = new HashMap<>();
        double[] load = new double[4];
        java.time.Instant first = null;
        java.time.Instant last = null;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            first = first == null || event.getStartTime().isBefore(first) ? event.getStartTime() : first;
            last = last == null || event.getEndTime().isAfter(last) ? event.getEndTime() : last;
            String type = event.getEventType().getName();
            if (type.equals("jdk.CPULoad")) {
                load[0] += event.getFloat("jvmUser");
                load[1] += event.getFloat("jvmSystem");
                load[2] += event.getFloat("machineTotal");
                load[3]++;
                continue;
            }
            if (type.equals("jdk.FileForce")) {
                forces++;
                forceTime = forceTime.plus(event.getDuration());
                String path = event.getString("path");
                Path folder = path == null ? null : Path.of(path).getParent();
                forcesByFolder.merge(folder == null ? "?" : folder.getFileName().toString(), 1L, Long::sum);
                continue;
            }
            if (type.equals("jdk.ThreadPark") || type.equals("jdk.JavaMonitorEnter")) {
                String thread = event.getThread() == null ? "" : String.valueOf(event.getThread().getJavaName());
                if (!WORKING_THREADS.matcher(thread).matches() || event.getStackTrace() == null) {
                    continue;
                }
                String where = null;
                for (RecordedFrame frame : event.getStackTrace().getFrames()) {
                    String owner = frame.getMethod().getType().getName();
                    if (!owner.startsWith("java.") && !owner.startsWith("jdk.") && !owner.startsWith("sun.")) {
                        where = method(frame);
                        break;
                    }
                }
                if (where == null || where.equals("FastThreadLocalRunnable.run") || where.startsWith("SubscriptionReader.")) {
                    continue; // an idle worker waiting for a task, a reader waiting for its queue
                }
                String group = thread.replaceAll("-?\\d+$", "-N");
                String key = group + " " + type + " " + where;
                Wait before = waits.get(key);
                waits.put(key, new Wait(group, (type.equals("jdk.JavaMonitorEnter") ? "lock in " : "parked in ") + where,
                        before == null ? 1 : before.count() + 1,
                        (before == null ? Duration.ZERO : before.total()).plus(event.getDuration())));
                continue;
            }
            if (!type.equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = stack.getFrames();
            self.merge(method(frames.get(0)), 1L, Long::sum);
            String owner = null;
            Set<String> seenSubsystems = new LinkedHashSet<>();
            Set<String> seenBridge = new LinkedHashSet<>();
            for (RecordedFrame frame : frames) {
                String type0 = frame.getMethod().getType().getName();
                String found = subsystemOf(type0);
                if (found != null) {
                    seenSubsystems.add(found);
                    if (owner == null) {
                        owner = found;
                    }
                }
                if (type0.startsWith("org.segmentbridge.")) {
                    seenBridge.add(method(frame));
                }
            }
            subsystem.merge(owner == null ? "JDK only (" + method(frames.get(0)) + ")" : owner, 1L, Long::sum);
            seenSubsystems.forEach(name -> inclusive.merge(name, 1L, Long::sum));
            seenBridge.forEach(name -> bridge.merge(name, 1L, Long::sum));
            String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("-?\\d+$", "-N"), 1L, Long::sum);
        }
        Duration recorded = first == null ? Duration.ZERO : Duration.between(first, last);
        List<Wait> topWaits = waits.values().stream().sorted(Comparator.comparing(Wait::total).reversed()).limit(6).toList();
        return new Summary(samples, top(subsystem, samples, 12), top(inclusive, samples, 12), top(self, samples, 12),
                top(bridge, samples, 10), top(threads, samples, 8), forces, forceTime, forcesByFolder, topWaits, recorded,
                load[3] == 0 ? 0 : load[0] / load[3], load[3] == 0 ? 0 : load[1] / load[3], load[3] == 0 ? 0 : load[2] / load[3]);
    }

    private static String subsystemOf(String type) {
        for (Map.Entry<String, String> entry : SUBSYSTEMS.entrySet()) {
            if (type.startsWith(entry.getKey())) {
                return entry.getValue();
            }
        }
        if (type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.") || type.startsWith("javax.")) {
            return null;
        }
        String[] parts = type.split("\\.");
        return parts.length > 2 ? parts[0] + "." + parts[1] + "." + parts[2] : type;
    }

    private static String method(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
    }

    private static List<Share> top(Map<String, Long> counts, long total, int limit) {
        List<Share> shares = new ArrayList<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(limit)
                .forEach(entry -> shares.add(new Share(entry.getKey(), entry.getValue(), total == 0 ? 0 : 100.0 * entry.getValue() / total)));
        return shares;
    }

    public static void main(String[] args) throws IOException {
        Summary summary = summarise(Path.of(args[0]));
        System.out.println(summary.samples() + " samples over " + summary.recorded());
        summary.subsystems().forEach(share -> System.out.printf("  %5.1f%%  %s%n", share.percent(), share.name()));
        System.out.println("inclusive:");
        summary.inclusive().forEach(share -> System.out.printf("  %5.1f%%  %s%n", share.percent(), share.name()));
        System.out.println("self:");
        summary.selfMethods().forEach(share -> System.out.printf("  %5.1f%%  %s%n", share.percent(), share.name()));
        System.out.println("bridge methods (inclusive):");
        summary.bridgeMethods().forEach(share -> System.out.printf("  %5.1f%%  %s%n", share.percent(), share.name()));
        System.out.println("threads:");
        summary.threads().forEach(share -> System.out.printf("  %5.1f%%  %s%n", share.percent(), share.name()));
        System.out.println("file forces: " + summary.fileForces() + " taking " + summary.fileForceTime() + " " + summary.fileForcesByFolder());
        System.out.println("waits of working threads:");
        summary.waits().forEach(wait -> System.out.printf("  %6d ms  %5d×  %s  %s%n", wait.total().toMillis(), wait.count(), wait.threads(), wait.where()));
    }
}
