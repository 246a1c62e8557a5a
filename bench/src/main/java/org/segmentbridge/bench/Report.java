package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;

/**
 * The figures of one run and their Markdown. A full run replaces the part of docs/benchmarks.md between the
 * {@code bench:begin} and {@code bench:end} markers (the prose around it is written by people, from these figures);
 * a smoke run writes its own file and leaves the docs alone.
 */
final class Report {

    static final String BEGIN = "<!-- bench:begin: written by bench/run; edit the prose around it, not this -->";
    static final String END = "<!-- bench:end -->";

    String mode;
    String machine;
    Duration wallTime;
    final Map<String, Duration> timeToHealthy = new LinkedHashMap<>();
    final Map<String, Long> idleRss = new LinkedHashMap<>();
    final Map<String, Long> loadedRss = new LinkedHashMap<>();
    record IntakeRow(String endpoint, int eventsPerRequest, int connections, Intake.Result bare, Intake.Result bridge) {
    }
    final List<IntakeRow> intake = new ArrayList<>();
    double intakeAccepted;
    Profile.Summary intakeProfile;
    Profile.Summary deliveryProfile;
    final List<Latency.Result> latency = new ArrayList<>();
    final List<Delivery.Row> delivery = new ArrayList<>();
    final List<Delivery.Push> pushes = new ArrayList<>();
    final Map<String, Long> rejected429 = new LinkedHashMap<>();
    double bridgeRetried;
    double bridgeDeadLettered;
    double bridgeRateLimited;
    final Map<String, String> bridgeLogProblems = new LinkedHashMap<>();
    double intakeProfileRate;
    Map<String, double[]> cores = new LinkedHashMap<>();
    String deliveryOverrides = "";

    /** Adds the 429s the fakes answered since their last reset to the run's totals. */
    synchronized void collect429s(FakeVendors fakes) {
        fakes.endpoints().forEach((name, endpoint) -> {
            if (endpoint.rejected429() > 0) {
                rejected429.merge(name, endpoint.rejected429(), Long::sum);
            }
        });
    }

    long total429() {
        return rejected429.values().stream().mapToLong(Long::longValue).sum();
    }

    void write(Path file, boolean smoke) throws IOException {
        String block = BEGIN + "\n" + render() + END;
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (smoke || !Files.exists(file)) {
            Files.writeString(file, "# Benchmarks (" + mode + ")\n\n" + block + "\n");
            return;
        }
        String text = Files.readString(file);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        if (begin < 0 || end < begin) {
            Files.writeString(file, text + "\n" + block + "\n");
        } else {
            Files.writeString(file, text.substring(0, begin) + block + text.substring(end + END.length()));
        }
    }

    // ---- rendering ----------------------------------------------------------------------------------------------

    private String render() {
        StringBuilder md = new StringBuilder();
        md.append("Run of ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append(", ").append(mode).append(" mode; `bench/run` took **").append(duration(wallTime))
                .append("** from start to this report, builds included.\n\n");
        md.append("Machine: ").append(machine).append(".\n\n");
        summary(md);
        intakeTable(md);
        deliveryTable(md);
        latencyTable(md);
        memoryTable(md);
        profile(md, String.format("Profile of the intake: `/v1/track` at 64 connections (JFR, one more run after the measured ones: %,.0f req/s under the recorder)", intakeProfileRate), intakeProfile);
        profile(md, "Profile of delivery: the bridge draining the track group (JFR)", deliveryProfile);
        return md.toString();
    }

    private void summary(StringBuilder md) {
        md.append("### Summary\n\n| figure | measured | limit / ceiling | ratio |\n|---|---|---|---|\n");
        for (IntakeRow row : intake) {
            md.append("| intake `").append(row.endpoint()).append("`").append(row.eventsPerRequest() > 1 ? " (" + row.eventsPerRequest() + " events)" : "")
                    .append(", ").append(row.connections()).append(" connections | ")
                    .append(String.format("%,.0f req/s = %,.0f events/s", row.bridge().perSecond(), row.bridge().perSecond() * row.eventsPerRequest()))
                    .append(" | bare Vert.x handler: ").append(String.format("%,.0f req/s", row.bare().perSecond()))
                    .append(" | ").append(String.format("%.3f", row.bridge().perSecond() / row.bare().perSecond())).append(" |\n");
        }
        for (Delivery.Row row : delivery) {
            if (!row.target().measured()) {
                continue;
            }
            md.append("| delivery ").append(row.target().destination()).append(" ").append(row.target().endpoint()).append(" | ")
                    .append(String.format("%,.1f events/s", row.steadyRate())).append(" | ")
                    .append(String.format("%d req/s × %d = %,.0f events/s", row.target().limitPerSecond(), row.target().batch(), row.target().ceiling()))
                    .append(" | ").append(String.format("%.2f", row.ratio())).append(" |\n");
        }
        md.append("| 429s the bridge provoked (whole run, every fake endpoint) | ").append(total429()).append(" | target 0 | |\n");
        for (Latency.Result latency : latency) {
            md.append("| latency intake → Iterable `users/update` at ").append(String.format("%.0f", latency.rate())).append(" events/s, p50 / p99 | ")
                    .append(pair(latency.usersUpdate())).append(" | | |\n");
            md.append("| latency intake → Iterable `events/track` at ").append(String.format("%.0f", latency.rate())).append(" events/s, p50 / p99 | ")
                    .append(pair(latency.eventsTrack())).append(" | | |\n");
        }
        idleRss.forEach((name, kib) -> md.append("| RSS at idle (bridge ").append(name).append(", `-Xmx256m`) | ").append(mib(kib)).append(" | | |\n"));
        loadedRss.forEach((name, kib) -> md.append("| RSS under load, peak (").append(name).append(") | ").append(mib(kib)).append(" | | |\n"));
        timeToHealthy.forEach((name, time) -> {
            if (!name.startsWith("load-")) {
                md.append("| launch to `/observe/health` 200 (bridge ").append(name).append(name.startsWith("drain-") ? ", backlog queued" : ", fresh")
                        .append(") | ").append(String.format("%.2f s", time.toMillis() / 1000.0)).append(" | | |\n");
            }
        });
        md.append("| `bench/run` wall time | ").append(duration(wallTime)).append(" | 10 min | ")
                .append(String.format("%.2f", wallTime.toMillis() / 600_000.0)).append(" |\n\n");
    }

    private void intakeTable(StringBuilder md) {
        md.append("### Intake (closed loop, ").append(intake.isEmpty() ? "" : intake.get(0).bridge().tool())
                .append("; the bridge with delivery disabled, so only the intake and the processor work)\n\n")
                .append("| endpoint | connections | bare req/s | bare p50 / p99 | bridge req/s | bridge events/s | bridge p50 / p99 | ratio | non-200 / socket errors (bridge) |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (IntakeRow row : intake) {
            md.append("| `").append(row.endpoint()).append("`").append(row.eventsPerRequest() > 1 ? " × " + row.eventsPerRequest() : "")
                    .append(" | ").append(row.connections())
                    .append(String.format(" | %,.0f | %s | %,.0f | %,.0f | %s | %.3f | %d / %d |%n", row.bare().perSecond(),
                            pair(row.bare().p50Micros(), row.bare().p99Micros()), row.bridge().perSecond(),
                            row.bridge().perSecond() * row.eventsPerRequest(), pair(row.bridge().p50Micros(), row.bridge().p99Micros()),
                            row.bridge().perSecond() / row.bare().perSecond(), row.bridge().non200(), row.bridge().socketErrors()));
        }
        md.append(String.format("%nEvents the intake bridges stored (their own counters, seeding and warm-ups included): %,.0f.%n%n", intakeAccepted));
    }

    private void deliveryTable(StringBuilder md) {
        md.append("### Delivery (against the fakes' limits)\n\n")
                .append("| group | destination | endpoint | batch | limit | ceiling events/s | delivered events/s (steady) | delivered/ceiling | items received / pushed | requests | 429s |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Delivery.Row row : delivery) {
            Delivery.Target target = row.target();
            md.append(String.format("| %s | %s | %s | %d | %d/s | %,.0f | %,.1f | %s | %,d / %,d | %,d | %d |%n", row.group(),
                    target.destination(), target.endpoint(), target.batch(), target.limitPerSecond(), target.ceiling(),
                    row.steadyRate(), target.measured() ? String.format("%.2f", row.ratio()) : "(follows users/update)",
                    row.items(), target.events(), row.requests(), row.rejected429()));
        }
        md.append("\n");
        for (Delivery.Push push : pushes) {
            md.append(String.format("- %s group: %,d events pushed through `/v1/batch` in %.1f s (%d requests sent again after a non-200).%n",
                    push.group(), push.events(), push.seconds(), push.retries()));
        }
        md.append(String.format("- The bridge's own counters at the end: %,.0f items retried, %,.0f dead-lettered, %,.0f 429 answers received.%n",
                bridgeRetried, bridgeDeadLettered, bridgeRateLimited));
        md.append("- 429s answered by the fakes over the whole run: ").append(rejected429.isEmpty() ? "none" : rejected429.toString()).append(".\n");
        bridgeLogProblems.forEach((name, problems) -> md.append("- ERROR lines (and dead-letter warnings) in the log of bridge ")
                .append(name).append(": ").append(problems).append(".\n"));
        md.append("\n");
        md.append("Settings the delivery bridge ran with on top of `application.properties`:\n\n```properties\n")
                .append(deliveryOverrides).append("```\n\n");
    }

    private void latencyTable(StringBuilder md) {
        if (latency.isEmpty()) {
            return;
        }
        md.append(String.format("### Latency (open loop: `/v1/batch` requests of %d events, identifies and tracks of new people, for Iterable only)%n%n",
                latency.get(0).perRequest()));
        md.append("| rate | path | events | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|\n");
        for (Latency.Result result : latency) {
            String rate = String.format("%.0f events/s for %.0f s", result.rate(), result.seconds());
            row(md, rate, "intake answer (requests), from the due time", result.sent(), result.intakeAnswer());
            row(md, rate, "intake → Iterable `POST /api/users/update`", result.usersUpdateExpected(), result.usersUpdate());
            row(md, rate, "intake → Iterable `POST /api/events/track`", result.eventsTrackExpected(), result.eventsTrack());
        }
        md.append("\n");
        for (Latency.Result result : latency) {
            md.append(String.format("- At %.0f events/s: %d non-200 intake answers; the last vendor request arrived %.1f s after the first event was due (sending took %.0f s).%n",
                    result.rate(), result.non200(), result.secondsToDeliverAll(), result.seconds()));
        }
        md.append("\n");
    }

    private static void row(StringBuilder md, String rate, String name, long expected, Histogram histogram) {
        md.append(String.format("| %s | %s | %,d of %,d | %s | %s | %s | %s |%n", rate, name, histogram.getTotalCount(), expected,
                ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(90)),
                ms(histogram.getValueAtPercentile(99)), ms(histogram.getMaxValue())));
    }

    private void memoryTable(StringBuilder md) {
        md.append("### Memory and start (`java -Xmx256m -jar target/segment-bridge.jar`)\n\n")
                .append("| bridge launch | data folder at launch | launch to health 200 | RSS at idle (5 s after healthy) | RSS peak under load |\n|---|---|---|---|---|\n");
        for (String name : timeToHealthy.keySet()) {
            String data = name.startsWith("drain-") ? "the group's backlog queued" : name.startsWith("load-track") ? "the identify group, delivered" : "fresh";
            String phase = name.startsWith("intake-") ? "intake" : name.replace("-", " ");
            md.append(String.format("| %s | %s | %.2f s | %s | %s |%n", name, data, timeToHealthy.get(name).toMillis() / 1000.0,
                    idleRss.containsKey(name) ? mib(idleRss.get(name)) : "", loadedRss.containsKey(phase) ? mib(loadedRss.get(phase)) : ""));
        }
        md.append("\n### CPU during each phase (cores of ").append(Runtime.getRuntime().availableProcessors())
                .append(")\n\n| phase | machine busy | the bridge | other processes (not this run's) |\n|---|---|---|---|\n");
        cores.forEach((phase, used) -> md.append(String.format("| %s | %.2f | %.2f | %.2f |%n", phase, used[2], used[1], used[0])));
        md.append("\nThe rest of \"machine busy\" is this run's load generator and fakes, and the kernel's work for all of them.\n\n");
    }

    private static void profile(StringBuilder md, String title, Profile.Summary summary) {
        if (summary == null) {
            return;
        }
        md.append("### ").append(title).append("\n\n");
        md.append(String.format("%,d execution samples over %.1f s; %,d forced writes to disk (`jdk.FileForce`) taking %.1f s in all. "
                        + "JFR's CPU load (`jdk.CPULoad`, share of the whole machine): the bridge's JVM %.0f %% user + %.0f %% system, the machine %.0f %%.%n%n",
                summary.samples(), summary.recorded().toMillis() / 1000.0, summary.fileForces(), summary.fileForceTime().toMillis() / 1000.0,
                summary.jvmUser() * 100, summary.jvmSystem() * 100, summary.machineTotal() * 100));
        md.append("| by subsystem (first non-JDK frame from the top) | share | | stack contains | share |\n|---|---|---|---|---|\n");
        int rows = Math.max(summary.subsystems().size(), summary.inclusive().size());
        for (int i = 0; i < Math.min(rows, 10); i++) {
            Profile.Share own = i < summary.subsystems().size() ? summary.subsystems().get(i) : null;
            Profile.Share all = i < summary.inclusive().size() ? summary.inclusive().get(i) : null;
            md.append("| ").append(own == null ? "" : own.name()).append(" | ").append(own == null ? "" : String.format("%.1f %%", own.percent()))
                    .append(" | | ").append(all == null ? "" : all.name()).append(" | ").append(all == null ? "" : String.format("%.1f %%", all.percent()))
                    .append(" |\n");
        }
        md.append("\n| hottest methods (top frame) | share | | bridge methods on the stack | share |\n|---|---|---|---|---|\n");
        for (int i = 0; i < 10; i++) {
            Profile.Share own = i < summary.selfMethods().size() ? summary.selfMethods().get(i) : null;
            Profile.Share bridge = i < summary.bridgeMethods().size() ? summary.bridgeMethods().get(i) : null;
            if (own == null && bridge == null) {
                break;
            }
            md.append("| ").append(own == null ? "" : "`" + own.name() + "`").append(" | ").append(own == null ? "" : String.format("%.1f %%", own.percent()))
                    .append(" | | ").append(bridge == null ? "" : "`" + bridge.name() + "`").append(" | ")
                    .append(bridge == null ? "" : String.format("%.1f %%", bridge.percent())).append(" |\n");
        }
        if (!summary.waits().isEmpty()) {
            md.append("\n| working threads waited (jdk.ThreadPark / jdk.JavaMonitorEnter as recorded, idle waits left out) | times | total |\n|---|---|---|\n");
            summary.waits().forEach(wait -> md.append(String.format("| %s: %s | %,d | %.1f s |%n", wait.threads(), "`" + wait.where() + "`",
                    wait.count(), wait.total().toMillis() / 1000.0)));
        }
        md.append("\nForced writes by folder: ").append(summary.fileForcesByFolder()).append(". Samples by thread: ");
        List<String> threads = new ArrayList<>();
        summary.threads().forEach(share -> threads.add(String.format("%s %.0f %%", share.name(), share.percent())));
        md.append(String.join(", ", threads)).append(".\n\n");
    }

    // ---- formatting ---------------------------------------------------------------------------------------------

    static String duration(Duration duration) {
        long seconds = duration.toSeconds();
        return seconds >= 60 ? (seconds / 60) + " min " + (seconds % 60) + " s" : seconds + " s";
    }

    private static String mib(long kib) {
        return kib < 0 ? "?" : String.format("%.0f MiB", kib / 1024.0);
    }

    private static String ms(long micros) {
        return micros >= 10_000 ? String.format("%.0f ms", micros / 1000.0) : String.format("%.1f ms", micros / 1000.0);
    }

    private static String pair(long p50, long p99) {
        return ms(p50) + " / " + ms(p99);
    }

    private static String pair(Histogram histogram) {
        return histogram.getTotalCount() == 0 ? "no samples"
                : pair(histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99));
    }
}
