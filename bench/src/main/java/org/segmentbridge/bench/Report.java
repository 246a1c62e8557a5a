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
    /** How every bridge was started: the JVM's command line, as bin/segment-bridge ran it. */
    String bridgeCommand;
    Duration wallTime;
    final Map<String, Duration> timeToHealthy = new LinkedHashMap<>();
    final Map<String, Long> idleRss = new LinkedHashMap<>();
    final Map<String, Long> loadedRss = new LinkedHashMap<>();
    /**
     * One intake run of the bridge and its baselines.
     *
     * @param camel the bare Camel route's run on the JVM's defaults, the target's baseline; null where not measured
     * @param camelOnBridgeOptions the same route's run on the bridge's JVM options; null where not measured
     * @param refused the bridge's refusals during the measured run, by reason; empty when it refused none
     */
    record IntakeRow(String endpoint, int eventsPerRequest, int connections, Intake.Result bare, Intake.Result camel,
                     Intake.Result camelOnBridgeOptions, Intake.Result bridge, String refused) {
    }
    /** The cores a process used during a measured run, and the whole machine's busy cores. */
    record RunCpu(double cores, double machineCores) {

        /** Its CPU a request at {@code perSecond}. */
        double microsPerRequest(double perSecond) {
            return cores * 1e6 / perSecond;
        }
    }

    /** Issue 20's {@code /v1/track} target: at least this many requests a second, and this share of the bare Camel route's. */
    static final double TRACK_TARGET_RATE = 10_000;
    static final double TRACK_TARGET_SHARE = 0.5;

    /** During the measured {@code /v1/track} run at 64 connections: the bridge, and the bare Camel route on the JVM's defaults. */
    RunCpu trackBridgeCpu;
    RunCpu trackCamelCpu;
    Load.OpenLoopResult trackOpenLoop;
    /** The same open loop against the bare Camel route, right before the bridge's. */
    Load.OpenLoopResult trackOpenLoopBareCamel;
    double trackOpenLoopRate;
    double trackOpenLoopWarmUpSeconds;
    /** The disk's own syncs, alone, before the intake part; null in parts that leave it out. */
    DiskSync.Result diskSync;
    final List<Processing.Row> processing = new ArrayList<>();
    long processingEvents;
    double processingSeconds;
    boolean processingDrained;
    /** The stretch of the processing drain in which all four destinations received at their steady pace. */
    Processing.Together processingTogether;
    /** When each destination had received its share of the drain's items. */
    final List<Processing.Progress> processingProgress = new ArrayList<>();
    /** The single-event destinations' requests per second in the drain, steady, all of them together. */
    double processingSingleRequests;
    /**
     * {@link BareCamelClient}'s run: what it sent, with how many in flight, the fake's steady rate, and the CPU the
     * client spent a request in its steady stretch (camel-http's own cost).
     */
    record BareClient(int requests, int inFlight, double steadyRate, double clientMicros) {
    }

    /** CPU over the processing drain; null in parts that leave it out. */
    Processing.DrainCpu processingCpu;

    /** Their ceiling, measured right before the drain; null in parts that leave it out. */
    BareClient processingBareClient;
    String allDestinationsOverrides = "";
    Sustained.Result sustained;
    final List<IntakeRow> intake = new ArrayList<>();
    double intakeAccepted;
    Profile.Summary intakeProfile;
    Profile.Summary deliveryProfile;
    final List<Latency.Result> latency = new ArrayList<>();
    final List<Delivery.Row> delivery = new ArrayList<>();
    final List<Delivery.Push> pushes = new ArrayList<>();
    /** Per delivery group's draining bridge, what it timed. */
    final Map<String, List<Delivery.VendorLatency>> vendorLatency = new LinkedHashMap<>();
    /** What the processing drain's bridge timed; empty in parts that leave it out. */
    List<Delivery.VendorLatency> processingVendorLatency = List.of();
    final Map<String, Long> rejected429 = new LinkedHashMap<>();
    double bridgeRetried;
    double bridgeDeadLettered;
    double bridgeRateLimited;
    final Map<String, String> bridgeLogProblems = new LinkedHashMap<>();
    double intakeProfileRate;
    Map<String, double[]> cores = new LinkedHashMap<>();
    String deliveryOverrides = "";
    /** The cluster part's figures; null when it did not run ({@code --no-cluster}). */
    Cluster.Results cluster;

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
        targets(md);
        summary(md);
        intakeTable(md);
        deliveryTable(md);
        processingTable(md);
        latencyTable(md);
        sustainedTable(md);
        clusterSection(md);
        memoryTable(md);
        profile(md, String.format("Profile of the intake: `/v1/track` at 64 connections (JFR, one more run after the measured ones: %,.0f req/s under the recorder)", intakeProfileRate), intakeProfile);
        profile(md, "Profile of delivery: the bridge draining the track group (JFR, one more drain after the measured ones)", deliveryProfile);
        return md.toString();
    }

    /** A summary row: the bridge's requests a second against one baseline's, and their ratio. */
    private static void againstBaseline(StringBuilder md, IntakeRow row, String figure, String baselineName, Intake.Result baseline) {
        md.append("| intake `").append(row.endpoint()).append("`, ").append(row.connections()).append(" connections, ").append(figure)
                .append(" | ").append(String.format("%,.0f req/s", row.bridge().perSecond()))
                .append(" | ").append(baselineName).append(": ").append(String.format("%,.0f req/s", baseline.perSecond()))
                .append(" | ").append(String.format("%.3f", row.bridge().perSecond() / baseline.perSecond())).append(" |\n");
    }

    private void summary(StringBuilder md) {
        md.append("### Summary\n\n| figure | measured | limit / ceiling | ratio |\n|---|---|---|---|\n");
        for (IntakeRow row : intake) {
            md.append("| intake `").append(row.endpoint()).append("`").append(row.eventsPerRequest() > 1 ? " (" + row.eventsPerRequest() + " events)" : "")
                    .append(", ").append(row.connections()).append(" connections | ")
                    .append(String.format("%,.0f req/s = %,.0f events/s", row.bridge().perSecond(), row.bridge().perSecond() * row.eventsPerRequest()))
                    .append(" | bare Vert.x handler: ").append(String.format("%,.0f req/s", row.bare().perSecond()))
                    .append(" | ").append(String.format("%.3f", row.bridge().perSecond() / row.bare().perSecond())).append(" |\n");
            if (row.camel() != null) {
                againstBaseline(md, row, "against bare Camel", "bare Camel platform-http route", row.camel());
            }
            if (row.camelOnBridgeOptions() != null) {
                againstBaseline(md, row, "against bare Camel on the bridge's JVM options",
                        "the same route, the bridge's JVM options (C1 only)", row.camelOnBridgeOptions());
            }
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
            for (String destination : AllDestinations.DESTINATIONS) {
                md.append("| latency intake → ").append(destination).append(" at ").append(String.format("%.0f", latency.rate()))
                        .append(" events/s, all four destinations, p50 / p99 | ").append(pair(latency.destination(destination))).append(" | | |\n");
            }
        }
        idleRss.forEach((name, kib) -> md.append("| RSS at idle (bridge ").append(name).append(", `-Xmx256m`) | ").append(mib(kib)).append(" | | |\n"));
        loadedRss.forEach((name, kib) -> md.append("| RSS under load, peak (").append(name).append(") | ").append(mib(kib)).append(" | | |\n"));
        timeToHealthy.forEach((name, time) -> {
            if (!name.startsWith("load-")) {
                md.append("| launch to `/observe/health` 200 (bridge ").append(name).append(name.startsWith("drain-") ? ", backlog queued" : ", fresh")
                        .append(") | ").append(String.format("%.2f s", time.toMillis() / 1000.0)).append(" | | |\n");
            }
        });
        clusterSummary(md);
        md.append("| `bench/run` wall time | ").append(duration(wallTime)).append(" | 10 min | ")
                .append(String.format("%.2f", wallTime.toMillis() / 600_000.0)).append(" |\n\n");
    }

    /** The {@code /v1/track} run at 64 connections, issue 20's; null in parts that leave the intake out. */
    private IntakeRow trackRow() {
        return intake.stream().filter(row -> row.endpoint().equals("/v1/track") && row.connections() == 64).findFirst().orElse(null);
    }

    /**
     * What the {@code /v1/track} target asks of this machine at this run's costs: the bridge's CPU a request (the intake
     * and the processor behind it) and the rest of the machine's (wrk, the kernel) at the target's rate.
     */
    private void trackCost(StringBuilder md) {
        IntakeRow track = trackRow();
        if (track == null || track.camel() == null || trackBridgeCpu == null || trackCamelCpu == null) {
            return;
        }
        double rate = Math.max(TRACK_TARGET_RATE, TRACK_TARGET_SHARE * track.camel().perSecond());
        double bridgeMicros = trackBridgeCpu.microsPerRequest(track.bridge().perSecond());
        double restMicros = (trackBridgeCpu.machineCores() - trackBridgeCpu.cores()) * 1e6 / track.bridge().perSecond();
        int cores = Runtime.getRuntime().availableProcessors();
        md.append(String.format("%nWhat the target asks of this machine, at this run's costs: the bridge used %.2f cores for its %,.0f "
                        + "requests a second, %.0f µs of CPU a request for the intake and the processor behind it, and the rest of the "
                        + "machine (wrk, the kernel) %.0f µs a request; the bare Camel route (the JVM's defaults) used %.2f cores for "
                        + "%,.0f, %.0f µs a request. The target, %,.0f requests a second, would take the bridge **%.2f cores** at its cost "
                        + "and the rest %.2f: %.2f of the machine's %d.%n",
                trackBridgeCpu.cores(), track.bridge().perSecond(), bridgeMicros, restMicros, trackCamelCpu.cores(), track.camel().perSecond(),
                trackCamelCpu.microsPerRequest(track.camel().perSecond()), rate, rate * bridgeMicros / 1e6, rate * restMicros / 1e6,
                rate * (bridgeMicros + restMicros) / 1e6, cores));
    }

    private void intakeTable(StringBuilder md) {
        md.append("### Intake (closed loop, ").append(intake.isEmpty() ? "" : intake.get(0).bridge().tool())
                .append("; the bridge with delivery disabled, so only the intake and the processor work)\n\n")
                .append("| endpoint | connections | bare Vert.x req/s | bare Vert.x p50 / p99 | bare Camel req/s | bare Camel p50 / p99 | bridge req/s | bridge events/s | bridge p50 / p99 | bridge / bare Vert.x | bridge / bare Camel | non-200 / socket errors (bridge) |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (IntakeRow row : intake) {
            md.append("| `").append(row.endpoint()).append("`").append(row.eventsPerRequest() > 1 ? " × " + row.eventsPerRequest() : "")
                    .append(" | ").append(row.connections())
                    .append(String.format(" | %,.0f | %s | %s | %s | %,.0f | %,.0f | %s | %.3f | %s | %d%s / %d |%n", row.bare().perSecond(),
                            pair(row.bare().p50Micros(), row.bare().p99Micros()),
                            row.camel() == null ? "" : String.format("%,.0f", row.camel().perSecond()),
                            row.camel() == null ? "" : pair(row.camel().p50Micros(), row.camel().p99Micros()), row.bridge().perSecond(),
                            row.bridge().perSecond() * row.eventsPerRequest(), pair(row.bridge().p50Micros(), row.bridge().p99Micros()),
                            row.bridge().perSecond() / row.bare().perSecond(),
                            row.camel() == null ? "" : String.format("%.3f", row.bridge().perSecond() / row.camel().perSecond()),
                            row.bridge().non200(), row.refused().isEmpty() ? "" : " (" + row.refused() + ")",
                            row.bridge().socketErrors()));
        }
        trackCost(md);
        if (trackOpenLoop != null) {
            Histogram answers = trackOpenLoop.answerMicros();
            md.append(String.format("%nOpen loop on the `/v1/track` bridge right after its closed-loop run and %.0f s of warm-up at the"
                            + " same rate: %,.0f single events/s offered for %.0f s "
                            + "(64 connections at most, each request due at its time, its latency counted from then): %s; "
                            + "%,d non-200 of %,d, of which %,d not sent because %,d were unanswered when they were due. "
                            + "The %s.%n",
                    trackOpenLoopWarmUpSeconds, trackOpenLoopRate, trackOpenLoop.seconds(), spread(answers),
                    trackOpenLoop.failed(), trackOpenLoop.sent(), trackOpenLoop.shed(), BenchRun.TRACK_MAX_OUTSTANDING,
                    trackOpenLoop.timeline()));
            if (trackOpenLoopBareCamel != null) {
                md.append(String.format("%nThe same open loop against the bare Camel route right before (its warm-up too; the client's own"
                                + " code is compiled by then): %s; %,d non-200 of %,d. The %s.%n",
                        spread(trackOpenLoopBareCamel.answerMicros()), trackOpenLoopBareCamel.failed(), trackOpenLoopBareCamel.sent(),
                        trackOpenLoopBareCamel.timeline()));
            }
        }
        if (diskSync != null) {
            Histogram syncs = diskSync.syncMicros();
            md.append(String.format("%nThe data folder's disk alone, for %.0f s before the intake part (4 KB written and synced at a time, as the"
                            + " queue's journal does; each answer waits for at least one such sync): %,d syncs, p50 %s, p99 %s, p99.9 %s,"
                            + " max %s; %,d took over 20 ms.%n",
                    diskSync.seconds(), syncs.getTotalCount(), ms(syncs.getValueAtPercentile(50)), ms(syncs.getValueAtPercentile(99)),
                    ms(syncs.getValueAtPercentile(99.9)), ms(syncs.getMaxValue()), diskSync.over(20_000)));
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
        vendorLatency.forEach((bridge, latencies) -> md.append("- ").append(vendorLatencyLine(bridge, latencies)).append("\n"));
        md.append(String.format("- The bridge's own counters at the end: %,.0f items retried, %,.0f dead-lettered, %,.0f 429 answers received.%n",
                bridgeRetried, bridgeDeadLettered, bridgeRateLimited));
        md.append("- 429s answered by the fakes over the whole run: ").append(rejected429.isEmpty() ? "none" : rejected429.toString()).append(".\n");
        bridgeLogProblems.forEach((name, problems) -> md.append("- ERROR lines (and dead-letter warnings) in the log of bridge ")
                .append(name).append(": ").append(problems).append(".\n"));
        md.append("\n");
        md.append("Settings the delivery bridge ran with on top of `application.properties`:\n\n```properties\n")
                .append(deliveryOverrides).append("```\n\n");
    }

    private static String vendorLatencyLine(String bridge, List<Delivery.VendorLatency> latencies) {
        return "Vendor latency as " + bridge + " timed it (mean / max, requests): "
                + String.join("; ", latencies.stream().map(latency -> String.format("%s `%s` %.0f / %.0f ms (%,d)",
                        latency.destination(), latency.action(), latency.meanMillis(), latency.maxMillis(), latency.requests())).toList()) + ".";
    }

    private String togetherStretch() {
        Processing.Together together = processingTogether;
        if (together == null || together.empty()) {
            return "none in this run: one destination had received 95 % of its items before another had received 10 %; the backlog is too small";
        }
        return String.format("%.1f s to %.1f s of the drain, %.1f s", together.fromSecond(), together.toSecond(), together.seconds());
    }

    /** The single-event destinations' requests per second in the drain as a share of the bare client's. */
    private double singleEventShareOfBareClient() {
        return processingSingleRequests / processingBareClient.steadyRate();
    }

    /** For a single-event destination, the share its requests and the other's took of the bare client's; else nothing. */
    private String bareClientShare(String destination) {
        if (processingBareClient == null || !Processing.SINGLE_EVENT_DESTINATIONS.contains(destination)) {
            return "";
        }
        List<String> others = Processing.SINGLE_EVENT_DESTINATIONS.stream().filter(other -> !other.equals(destination)).toList();
        return String.format("; with %s, %.2f of a bare Camel HTTP client's requests/s", String.join(" and ", others),
                singleEventShareOfBareClient());
    }

    /**
     * When each destination had received a share of its items: the batching destinations take most of the cores while
     * they have events to send, and the single-event ones speed up once those are done.
     */
    private void progressTable(StringBuilder md) {
        if (processingProgress.isEmpty()) {
            return;
        }
        StringBuilder shares = new StringBuilder();
        StringBuilder rule = new StringBuilder();
        for (double share : Processing.PROGRESS_SHARES) {
            shares.append(String.format(" %.0f %% |", share * 100));
            rule.append("---|");
        }
        md.append("\nEach destination's progress, in seconds from the drain's first item: when it had received each share of its items. "
                + "While the batching destinations (a request per batch) have events to send they take most of the cores; the "
                + "single-event ones speed up once those are done.\n\n| destination |" + shares + "\n|---|" + rule + "\n");
        for (Processing.Progress each : processingProgress) {
            md.append("| ").append(each.destination());
            for (double second : each.seconds()) {
                md.append(String.format(" | %.1f s", second));
            }
            md.append(" |\n");
        }
    }

    /**
     * What the processing target asks of this machine at this run's costs: the single-event destinations' requests at
     * camel-http's own cost, and every delivery at the drain's cost to the bridge and the fakes.
     */
    private void processingCost(StringBuilder md) {
        List<Processing.Row> destinations = processing.stream().filter(Processing.Row::allEndpoints).toList();
        if (processingBareClient == null || processingCpu == null || destinations.isEmpty()) {
            return;
        }
        double target = Processing.TARGET_EVENTS_PER_SECOND;
        List<Processing.Row> single = destinations.stream().filter(row -> Processing.SINGLE_EVENT_DESTINATIONS.contains(row.destination())).toList();
        double requests = target * single.stream().mapToDouble(Processing.Row::itemsPerEvent).sum();
        double requestCores = requests * processingBareClient.clientMicros() / 1e6;
        double deliveries = target * destinations.size();
        double drained = (double) processingEvents * destinations.size();
        double bridgeMicros = processingCpu.bridgeSeconds() * 1e6 / drained;
        double fakesMicros = processingCpu.fakesSeconds() * 1e6 / drained;
        int cores = Runtime.getRuntime().availableProcessors();
        double budgetMicros = (cores - deliveries * fakesMicros / 1e6) * 1e6 / deliveries;
        double requestMicros = requestCores * 1e6 / deliveries;
        md.append(String.format("%nWhat the target asks of this machine, at this run's costs: %,.0f events a second for each of the %d "
                        + "destinations is %,.0f deliveries a second, of which %s send %,.0f requests a second, one an item (%s items an event). "
                        + "camel-http alone, in the bare client's steady stretch, spent %.0f µs of CPU a request: %.2f cores for those requests. "
                        + "Over the drain the bridge spent %.0f µs of CPU an event delivered and the fakes %.0f µs: %,.0f deliveries a second "
                        + "would take **%.2f cores** of the machine's %d (the bridge %.2f, the fakes %.2f). With the fakes at their cost, the "
                        + "bridge would have %.0f µs a delivery, %.0f of them camel-http's for the single-event requests, and %.0f for "
                        + "everything else, where it now spends %.0f.%n",
                target, destinations.size(), deliveries, String.join(" and ", Processing.SINGLE_EVENT_DESTINATIONS), requests,
                String.join(" and ", single.stream().map(row -> String.format("%.2f", row.itemsPerEvent())).toList()),
                processingBareClient.clientMicros(), requestCores, bridgeMicros, fakesMicros, deliveries,
                deliveries * (bridgeMicros + fakesMicros) / 1e6, cores, deliveries * bridgeMicros / 1e6, deliveries * fakesMicros / 1e6,
                budgetMicros, requestMicros, budgetMicros - requestMicros, bridgeMicros - requestMicros));
    }

    /** The requests the single-event destinations sent in the drain. */
    private long singleEventRequests() {
        return processing.stream().filter(row -> row.allEndpoints()
                && Processing.SINGLE_EVENT_DESTINATIONS.contains(row.destination())).mapToLong(Processing.Row::requests).sum();
    }

    private void processingTable(StringBuilder md) {
        if (processing.isEmpty()) {
            return;
        }
        md.append(String.format("### Processing per destination (the shipped four at once, fakes without limits)%n%n"
                + "A backlog of %,d events (identifies and tracks of new people, every event to every destination) drained for %.1f s "
                + "(%s). Items received at the fakes per second *while all four received*: from the last moment at which a destination "
                + "had received 10 %% of its items (the bridge has warmed up by then) to the first at which one had received 95 %% (%s). Beside it, each one's steady rate "
                + "over its own drain (20–95 %% of its items), which counts the seconds a destination that finishes later has the cores "
                + "to itself. A destination's events per second are its items per second over the items it made of an event (Iterable "
                + "makes an onboarding event of each new person's identify); the target counts events while all four received.%n%n",
                processingEvents, processingSeconds, processingDrained ? "until the bridge held nothing" : "the time limit: not all delivered",
                togetherStretch()));
        md.append("| destination | endpoint | items received | requests | items/s, all four receiving | events/s, all four receiving "
                + "| items/s, steady over its own drain | events/s, steady over its own drain |\n|---|---|---|---|---|---|---|---|\n");
        for (Processing.Row row : processing) {
            md.append(String.format("| %s | %s | %,d | %,d | %,.0f | %s | %,.0f | %s |%n", row.destination(),
                    row.allEndpoints() ? "**" + Processing.Row.ALL_ENDPOINTS + "**" : "`" + row.endpoint() + "`", row.items(), row.requests(),
                    row.togetherRate(), row.allEndpoints() ? String.format("**%,.0f**", row.eventsPerSecond()) : "",
                    row.steadyRate(), row.allEndpoints() ? String.format("%,.0f", row.steadyEventsPerSecond()) : ""));
        }
        progressTable(md);
        if (!processingVendorLatency.isEmpty()) {
            md.append("\n").append(vendorLatencyLine("the draining bridge", processingVendorLatency)).append("\n");
        }
        if (processingBareClient != null) {
            md.append(String.format("%nThe single-event destinations (%s: one request per item) sent %,.0f requests/s together, steady. "
                            + "Right before the drain, a bare Camel HTTP client (`BareCamelClient`: camel-http with the bridge's endpoint options, "
                            + "thread pool and JVM options, nothing but requests) sent %,d requests, %d in flight (the two destinations' "
                            + "`max-concurrent-requests`), to the same fake Iterable: %,.0f requests/s steady, so the drain reached **%.2f** "
                            + "of it. Sending only their %,d requests at that rate would take %.1f s.%n",
                    String.join(" and ", Processing.SINGLE_EVENT_DESTINATIONS), processingSingleRequests, processingBareClient.requests(),
                    processingBareClient.inFlight(), processingBareClient.steadyRate(), singleEventShareOfBareClient(),
                    singleEventRequests(), singleEventRequests() / processingBareClient.steadyRate()));
        }
        processingCost(md);
        md.append("\nSettings on top of `application.properties` for this part, the latency and the sustained run:\n\n```properties\n")
                .append(allDestinationsOverrides).append("```\n\n");
    }

    private void latencyTable(StringBuilder md) {
        if (latency.isEmpty()) {
            return;
        }
        md.append(String.format("### Latency (open loop: `/v1/batch` requests of %d events, identifies and tracks of new people, the shipped four destinations)%n%n",
                latency.get(0).perRequest()));
        md.append("| rate | path | events offered / items | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|\n");
        for (Latency.Result result : latency) {
            String rate = String.format("%.0f events/s for %.0f s", result.rate(), result.seconds());
            row(md, rate, "intake answer (requests), from the due time", result.sent(), result.intakeAnswer());
            for (String destination : AllDestinations.DESTINATIONS) {
                row(md, rate, "intake → **" + destination + "** (all its endpoints)", result.offered().getOrDefault(destination, 0L),
                        result.destination(destination));
            }
            result.endpoints().forEach((name, histogram) -> row(md, rate, "intake → `" + name + "`", -1, histogram));
        }
        md.append("\n");
        for (Latency.Result result : latency) {
            md.append(String.format("- At %.0f events/s: %d non-200 intake answers; the bridge %s %.1f s after the first event was due (sending took %.0f s). "
                            + "The slowest item at any vendor of each second, by when its event was due (ms): %s.%n",
                    result.rate(), result.non200(), result.drained() ? "held nothing any more" : "still held events (timeout)",
                    result.secondsToDeliverAll(), result.seconds(), result.timeline()));
        }
        md.append("\n");
    }

    private void sustainedTable(StringBuilder md) {
        if (sustained == null) {
            return;
        }
        Sustained.Result run = sustained;
        md.append(String.format("### Sustained end to end (%.0f events/s offered for %.0f s, `/v1/batch` of %d, the shipped four destinations)%n%n",
                run.rate(), run.seconds(), run.perRequest()));
        md.append(String.format("Intake: %,d requests, %d non-200, answer p50 / p99 %s. Backlog (intake log + every queue) slope after the first "
                        + "fifth: **%.1f events/s** (%s; flat is at most %.0f %% of the offered rate). RSS peak %s.%n%n",
                run.sent(), run.non200(), pair(run.intakeAnswer()), run.slope(), run.flat() ? "flat" : "growing",
                Sustained.FLAT_SHARE * 100, mib(run.rssPeakKib())));
        md.append("| destination | offered events/s | items received/s (steady) | queue slope events/s | starved |\n|---|---|---|---|---|\n");
        for (String destination : AllDestinations.DESTINATIONS) {
            md.append(String.format("| %s | %,.0f | %,.0f | %.1f | %s |%n", destination, run.offeredRates().get(destination),
                    run.receivedRates().get(destination), run.queueSlopes().get(destination), run.starved().contains(destination) ? "yes" : "no"));
        }
        md.append("\n| at | events sent | intake log | ");
        AllDestinations.DESTINATIONS.forEach(destination -> md.append(destination).append(" queue | "));
        md.append("backlog | RSS |\n|---|---|---|");
        AllDestinations.DESTINATIONS.forEach(destination -> md.append("---|"));
        md.append("---|---|\n");
        for (Sustained.Sample sample : run.samples()) {
            md.append(String.format("| %.0f s | %,d | %,.0f | ", sample.at(), sample.sentEvents(), sample.backlog().intakeLog()));
            AllDestinations.DESTINATIONS.forEach(destination -> md.append(String.format("%,.0f | ", sample.backlog().queues().get(destination))));
            md.append(String.format("%,.0f | %s |%n", sample.backlog().total(), mib(sample.rssKib())));
        }
        md.append("\n");
    }

    // ---- issue 20's targets ------------------------------------------------------------------------------------

    static final int RATE_BOUND = 40;

    private static void target(StringBuilder md, String figure, String measured, String target, Boolean met) {
        md.append("| ").append(figure).append(" | ").append(measured).append(" | ").append(target).append(" | ")
                .append(met == null ? "not measured" : met ? "met" : "**missed**").append(" |\n");
    }

    private void targets(StringBuilder md) {
        md.append("### Issue 20's targets\n\n| figure | measured | target | |\n|---|---|---|---|\n");
        IntakeRow track = trackRow();
        if (track != null) {
            double camelRatio = track.camel() == null ? Double.NaN : track.bridge().perSecond() / track.camel().perSecond();
            target(md, "`/v1/track`, 64 connections, durable 200, embedded", String.format("%,.0f req/s; %.3f of bare Camel (%,.0f req/s), %.3f of bare Vert.x",
                            track.bridge().perSecond(), camelRatio, track.camel() == null ? Double.NaN : track.camel().perSecond(),
                            track.bridge().perSecond() / track.bare().perSecond())
                            + (track.camelOnBridgeOptions() == null ? "" : String.format(
                                    "; beside it, %.3f of the same route on the bridge's JVM options (%,.0f req/s)",
                                    track.bridge().perSecond() / track.camelOnBridgeOptions().perSecond(),
                                    track.camelOnBridgeOptions().perSecond())),
                    String.format("≥ %,.0f req/s and ≥ %.1f of bare Camel", TRACK_TARGET_RATE, TRACK_TARGET_SHARE),
                    track.bridge().perSecond() >= TRACK_TARGET_RATE && camelRatio >= TRACK_TARGET_SHARE);
        }
        trackCost(md);
        if (trackOpenLoop != null) {
            Histogram answers = trackOpenLoop.answerMicros();
            target(md, String.format("`/v1/track` at %,.0f req/s offered (open loop), p99", trackOpenLoopRate),
                    String.format("p50 %s, p99 %s, max %s; %,d non-200 of %,d%s", ms(answers.getValueAtPercentile(50)),
                            ms(answers.getValueAtPercentile(99)), ms(answers.getMaxValue()), trackOpenLoop.failed(), trackOpenLoop.sent(),
                            trackOpenLoop.shed() == 0 ? "" : String.format(" (%,d not sent: %,d were unanswered)", trackOpenLoop.shed(),
                                    BenchRun.TRACK_MAX_OUTSTANDING))
                            + (trackOpenLoopBareCamel == null ? "" : String.format("; bare Camel p99 %s",
                                    ms(trackOpenLoopBareCamel.answerMicros().getValueAtPercentile(99))))
                            + (diskSync == null ? "" : String.format("; the disk's own sync alone: max %s, %,d over 20 ms in %.0f s",
                                    ms(diskSync.syncMicros().getMaxValue()), diskSync.over(20_000), diskSync.seconds())),
                    "≤ 20 ms", answers.getValueAtPercentile(99) <= 20_000 && trackOpenLoop.failed() == 0);
        }
        intake.stream().filter(row -> row.endpoint().equals("/v1/batch") && row.connections() == 64).findFirst().ifPresent(row ->
                target(md, "`/v1/batch` of 100, 64 connections, embedded", String.format("%,.0f events/s", row.bridge().perSecond() * row.eventsPerRequest()),
                        "≥ 50,000 events/s", row.bridge().perSecond() * row.eventsPerRequest() >= 50_000));
        processing.stream().filter(Processing.Row::allEndpoints).forEach(row ->
                target(md, "processing of " + row.destination() + ", fakes without limits, all four destinations active",
                        String.format("%,.0f events/s while all four received (%,.0f items/s, %.2f items an event); %,.0f events/s steady over its own drain",
                                row.eventsPerSecond(), row.togetherRate(), row.itemsPerEvent(), row.steadyEventsPerSecond())
                                + bareClientShare(row.destination()),
                        String.format("≥ %,.0f events/s", Processing.TARGET_EVENTS_PER_SECOND),
                        Double.isNaN(row.eventsPerSecond()) ? null : row.eventsPerSecond() >= Processing.TARGET_EVENTS_PER_SECOND));
        for (Latency.Result result : latency) {
            double limit = result.rate() <= 500 ? 50 : 100;
            for (String destination : AllDestinations.DESTINATIONS) {
                Histogram histogram = result.destination(destination);
                target(md, String.format("intake → %s p99 at %.0f events/s, all four destinations active", destination, result.rate()),
                        histogram.getTotalCount() == 0 ? "no samples" : ms(histogram.getValueAtPercentile(99)),
                        String.format("≤ %.0f ms", limit), histogram.getTotalCount() == 0 ? null
                                : histogram.getValueAtPercentile(99) <= limit * 1000 && result.drained());
            }
        }
        if (sustained != null) {
            target(md, String.format("sustained end to end, four destinations, %.0f s", sustained.seconds()),
                    String.format("%,.0f events/s offered, backlog slope %.1f events/s (%s), starved: %s, %d non-200", sustained.rate(),
                            sustained.slope(), sustained.flat() ? "flat" : "growing", sustained.starved().isEmpty() ? "none" : sustained.starved(),
                            sustained.non200()),
                    "≥ 1,000 events/s, flat backlog, delivery never starved",
                    sustained.rate() >= 1000 && sustained.flat() && sustained.starved().isEmpty() && sustained.non200() == 0);
        }
        for (Delivery.Row row : delivery) {
            // Rate-bound: limits of at most RATE_BOUND requests/s. Above that (Sailthru /user, Iterable's single-event
            // endpoints) the bridge's CPU is the limit on 2 cores: the delivery table shows them.
            if (row.target().measured() && row.target().limitPerSecond() <= RATE_BOUND) {
                target(md, "rate-bound " + row.target().destination() + " " + row.target().endpoint(),
                        String.format("%.2f of %,.0f events/s, %d 429s", row.ratio(), row.target().ceiling(), row.rejected429()),
                        "≥ 0.95 of limit × batch, 0 429s", row.ratio() >= 0.95 && row.rejected429() == 0);
            }
        }
        long idle = idleRss.values().stream().mapToLong(Long::longValue).max().orElse(-1);
        target(md, "RSS at idle, `-Xmx256m` (largest of " + idleRss.keySet() + ")", mib(idle), "≤ 250 MB", idle < 0 ? null : idle <= 250 * 1024);
        for (String phase : List.of(BenchRun.OVERLOAD, "sustained")) {
            Long kib = loadedRss.get(phase);
            target(md, "RSS peak, " + phase, kib == null ? "" : mib(kib), "≤ 400 MB", kib == null || kib < 0 ? null : kib <= 400 * 1024);
        }
        timeToHealthy.entrySet().stream().max(Map.Entry.comparingByValue()).ifPresent(slowest ->
                target(md, "launch to healthy (slowest of " + timeToHealthy.size() + " bridges: " + slowest.getKey() + ")",
                        String.format("%.2f s", slowest.getValue().toMillis() / 1000.0), "≤ 3 s", slowest.getValue().toMillis() <= 3000));
        target(md, "cluster mode (Kafka + PostgreSQL), 1 and 2 bridges", cluster == null ? "not run" : cluster.skipped != null ? "not run: " + cluster.skipped
                : cluster.failure != null ? "failed: " + cluster.failure : "see the cluster section", "measured and explained",
                cluster == null || cluster.skipped != null ? null : cluster.failure == null);
        target(md, "`bench/run` wall time, builds included", duration(wallTime), "≤ 10 min", wallTime.toMillis() <= 600_000);
        md.append(String.format("%nTimes in \"launch to healthy\" include bridges started on a queued backlog. Each target is checked as "
                + "stated; a target on a 2-core machine shared with the load generator is what issue 20 asks for.%n%n"));
    }

    // ---- the cluster part ---------------------------------------------------------------------------------------

    private static <T> T baseline(List<T> rows, java.util.function.Function<T, Cluster.Setup> setup) {
        return rows.stream().filter(row -> !setup.apply(row).cluster()).findFirst().orElse(null);
    }

    private static String ratio(double value, double base) {
        return base > 0 && !Double.isNaN(value) && !Double.isNaN(base) ? String.format("%.2f", value / base) : "";
    }

    private static String bridges(Cluster.Setup setup) {
        return setup.cluster() ? "cluster, " + setup.bridges() + (setup.bridges() == 1 ? " bridge" : " bridges") : "embedded, 1 bridge";
    }

    private void clusterSummary(StringBuilder md) {
        if (cluster == null || cluster.skipped != null) {
            return;
        }
        Cluster.IntakeRow intakeBase = baseline(cluster.intake, Cluster.IntakeRow::setup);
        for (Cluster.IntakeRow row : cluster.intake) {
            if (row.setup().cluster() && intakeBase != null) {
                md.append(String.format("| intake `/v1/batch` (100 events), 16 connections, %s | %,.0f events/s (%,.0f per core-second) "
                                + "| embedded, 1 bridge: %,.0f events/s (%,.0f per core-second) | %s (per core-second %s) |%n",
                        bridges(row.setup()), row.events(), row.perCore(), intakeBase.events(), intakeBase.perCore(),
                        ratio(row.events(), intakeBase.events()), ratio(row.perCore(), intakeBase.perCore())));
            }
        }
        Cluster.DeliveryRow deliveryBase = baseline(cluster.delivery, Cluster.DeliveryRow::setup);
        for (Cluster.DeliveryRow row : cluster.delivery) {
            if (row.setup().cluster() && deliveryBase != null) {
                md.append(String.format("| delivery end to end, %,d events → Iterable `events/trackBulk`, %s | %,.0f events/s (%,.0f per core-second) "
                                + "| embedded (state in PostgreSQL), 1 bridge: %,.0f events/s (%,.0f per core-second) | %s (per core-second %s) |%n",
                        row.events(), bridges(row.setup()), row.rate(), row.perCore(), deliveryBase.rate(), deliveryBase.perCore(),
                        ratio(row.rate(), deliveryBase.rate()), ratio(row.perCore(), deliveryBase.perCore())));
            }
        }
        Cluster.LatencyRow latencyBase = baseline(cluster.latency, Cluster.LatencyRow::setup);
        for (Cluster.LatencyRow row : cluster.latency) {
            if (row.setup().cluster() && latencyBase != null) {
                md.append(String.format("| latency intake → Iterable `events/track` at %.0f events/s, %s, p50 / p99 | %s | embedded (state in PostgreSQL), 1 bridge: %s | %s / %s |%n",
                        row.rate(), bridges(row.setup()), pair(row.latency()), pair(latencyBase.latency()),
                        ratio(Latency.ms(row.latency(), 50), Latency.ms(latencyBase.latency(), 50)),
                        ratio(Latency.ms(row.latency(), 99), Latency.ms(latencyBase.latency(), 99))));
            }
        }
    }

    private static String cores(Cluster.Cores cores) {
        return String.format("%.2f | %.2f | %.2f | %.2f | %.2f | %.2f", cores.bridges(), cores.kafka(), cores.postgres(),
                cores.harness(), cores.rest(), cores.machine());
    }

    private static final String CORES_HEADER = "bridges | Kafka | PostgreSQL | load generator + fakes | rest (other processes, kernel) | machine busy";

    private void clusterSection(StringBuilder md) {
        if (cluster == null) {
            return;
        }
        md.append("### Cluster mode: 1 and 2 bridges on one Kafka and one PostgreSQL, against one embedded bridge\n\n");
        if (cluster.skipped != null) {
            md.append("Not run: ").append(cluster.skipped).append(".\n\n");
            return;
        }
        if (cluster.failure != null) {
            md.append("**This part failed** (").append(cluster.failure).append("); what it measured before is below.\n\n");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        md.append(String.format("One Kafka broker (KRaft, broker and controller in one JVM, `-Xmx384m`, C1 only: the tests' settings) and one "
                        + "PostgreSQL %s (its defaults, fsync and synchronous commits on, but `shared_buffers` 64 MB) were started for this "
                        + "part, on the same %d cores as everything else: Kafka answered %.1f s after its launch, PostgreSQL started in %.1f s. "
                        + "Topics have %d partitions (the default), replication factor 1. Every setup had fresh bridges (`-Xmx256m` each, "
                        + "two started together), a database and a topic prefix of its own, and was measured once its consumer groups were "
                        + "stable with every bridge in them. The part took **%s** of the run.%n%n",
                cluster.postgresVersion, cores, cluster.kafkaStart.toMillis() / 1000.0, cluster.postgresStart.toMillis() / 1000.0,
                cluster.partitions, duration(cluster.took)));
        md.append(String.format("The CPU columns are the cores (of %d) used during each measurement, read from `/proc`: the bridges' JVMs, "
                        + "the broker, PostgreSQL with its backends, this harness (load generator, fake vendors, wrk), the rest of what kept "
                        + "the machine busy (other processes, the kernel), and the machine busy in all. **Per core-second of the setup** is "
                        + "the rate divided by the cores the bridges, Kafka and PostgreSQL used meanwhile: the machine is shared, so how much "
                        + "CPU a setup got varies from one minute to the next, and this figure moves less with it than the rate does.%n%n",
                cores));

        Cluster.IntakeRow intakeBase = baseline(cluster.intake, Cluster.IntakeRow::setup);
        md.append(String.format("#### Intake: `/v1/batch` × 100 tracks, %d connections in all, closed loop (%s) for %.0f s, delivery disabled%n%n",
                Cluster.INTAKE_CONNECTIONS, cluster.intakeTool, cluster.intakeSeconds));
        md.append("| setup | events/s | req/s | ratio to embedded | events per core-second of the setup | ratio to embedded | p50 / p99 (slowest bridge) | non-200 / socket errors | ")
                .append(CORES_HEADER).append(" |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Cluster.IntakeRow row : cluster.intake) {
            md.append(String.format("| %s | %,.0f | %,.0f | %s | %,.0f | %s | %s | %d / %d | %s |%n", row.setup().label(), row.events(),
                    row.result().perSecond(), intakeBase == null ? "" : ratio(row.events(), intakeBase.events()),
                    row.perCore(), intakeBase == null ? "" : ratio(row.perCore(), intakeBase.perCore()),
                    pair(row.result().p50Micros(), row.result().p99Micros()), row.result().non200(), row.result().socketErrors(),
                    cores(row.cores())));
        }
        md.append(String.format("%nThe intake part's batch bodies (tracks of 4,000 returning people, no messageId), seen once by each setup "
                + "before it is measured, then %.0f s of warm-up. With two bridges each gets half the people and half the connections, "
                + "from a load generator of its own (with wrk: one thread each, two in all as for one bridge). The intake bridges have "
                + "the shipped four destinations, as in the intake part, so in cluster mode the processor writes each event to four "
                + "destination topics.%n%n", cluster.intakeWarmSeconds));

        Cluster.DeliveryRow deliveryBase = baseline(cluster.delivery, Cluster.DeliveryRow::setup);
        Cluster.DeliveryRow any = cluster.delivery.isEmpty() ? null : cluster.delivery.get(0);
        md.append(String.format("#### Delivery end to end: %s tracks of %s people, `/v1/batch` → fake Iterable `POST /api/events/trackBulk`%n%n",
                any == null ? "?" : String.format("%,d", any.events()), any == null ? "?" : String.format("%,d", any.persons())));
        md.append("| setup | received / sent | pushed in | first push → last event at the vendor | events/s end to end | ratio to embedded | events per core-second of the setup | ratio to embedded | steady events/s (20–95 %) | 429s | ")
                .append(CORES_HEADER).append(" |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Cluster.DeliveryRow row : cluster.delivery) {
            md.append(String.format("| %s | %,d / %,d | %.1f s | %.1f s | %,.0f | %s | %,.0f | %s | %,.0f | %d | %s |%n", row.setup().label(),
                    row.received(), row.events(), row.pushSeconds(), row.endToEndSeconds(), row.rate(),
                    deliveryBase == null ? "" : ratio(row.rate(), deliveryBase.rate()), row.perCore(),
                    deliveryBase == null ? "" : ratio(row.perCore(), deliveryBase.perCore()), row.steadyRate(), row.rejected429(),
                    cores(row.cores())));
        }
        double ceiling = 10 * BenchRun.PACER_STEADY * Cluster.BULK_BATCH;
        md.append(String.format("%nThe bridges have two destinations, both Iterable through the shipped routes: `iterable` (one request "
                + "per event) and the delivery part's `iterablebulk` (the same routes with the bulk actions, batches of up to %d). These "
                + "events are flagged for `iterablebulk` only. Each person has ten; they are pushed 100 to a request with 4 requests in "
                + "flight (round-robin over the bridges) into bridges that deliver meanwhile, and the figure runs from the first push to "
                + "the last event at the fake. The bridge paces `trackBulk` at 10 requests/s (the fake's limit), so the ceiling is "
                + "%,.0f events/s%s. Bulk, because with one request per event every event takes two pacer "
                + "permits, each a transaction holding a row lock in PostgreSQL: in trial runs that capped every setup alike at a "
                + "couple of hundred events/s, so the figure would have measured the pacer rather than the logs. The baseline keeps "
                + "its state in the same PostgreSQL and paces through it as the cluster does; only the logs (Artemis in the bridge's "
                + "JVM, or Kafka) and the number of bridges differ.%n%n", Cluster.BULK_BATCH, ceiling,
                cluster.delivery.stream().allMatch(row -> row.steadyRate() < ceiling / 2) ? ", more than twice every figure here" : ""));

        Cluster.LatencyRow latencyBase = baseline(cluster.latency, Cluster.LatencyRow::setup);
        md.append(String.format("#### Latency: intake → fake Iterable `events/track` at %.0f events/s, on the delivery run's bridges right after it%n%n",
                cluster.latencyRate));
        md.append("| setup | delivered / sent | p50 | p90 | p99 | max | p50 / p99 ratio to embedded | intake answer p99 | non-200 | ")
                .append(CORES_HEADER).append(" |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Cluster.LatencyRow row : cluster.latency) {
            Histogram h = row.latency();
            md.append(String.format("| %s | %,d / %,d | %s | %s | %s | %s | %s | %s | %d | %s |%n", row.setup().label(),
                    h.getTotalCount(), row.sent(), msOrNone(h, 50), msOrNone(h, 90), msOrNone(h, 99),
                    h.getTotalCount() == 0 ? "" : ms(h.getMaxValue()),
                    latencyBase == null ? "" : ratio(Latency.ms(h, 50), Latency.ms(latencyBase.latency(), 50)) + " / "
                            + ratio(Latency.ms(h, 99), Latency.ms(latencyBase.latency(), 99)),
                    msOrNone(row.intakeAnswer(), 99), row.non200(), cores(row.cores())));
        }
        md.append(String.format("%nRequests of %d tracks of the delivery run's people (returning by then), stamped with their due time, "
                        + "open loop for %.0f s, round-robin over the bridges; the fake subtracts the stamp from the arrival of the request.%n%n",
                Cluster.LATENCY_PER_REQUEST, cluster.latency.isEmpty() ? 0 : cluster.latency.get(0).seconds()));

        md.append("Launch to `/observe/health` 200: ");
        List<String> starts = new ArrayList<>();
        cluster.bridgeStarts.forEach((name, time) -> starts.add(String.format("%s %.2f s", name, time.toMillis() / 1000.0)));
        md.append(String.join(", ", starts)).append(".\n\n");
        cluster.logProblems.forEach((name, problems) -> md.append("- ERROR lines (and dead-letter warnings) in the log of bridge ")
                .append(name).append(": ").append(problems).append(".\n"));
        md.append("\n");
        clusterLimits(md, intakeBase, deliveryBase, cores);
    }

    private void clusterLimits(StringBuilder md, Cluster.IntakeRow intakeBase, Cluster.DeliveryRow deliveryBase, int cores) {
        Cluster.IntakeRow intakeOne = find(cluster.intake, Cluster.IntakeRow::setup, 1);
        Cluster.IntakeRow intakeTwo = find(cluster.intake, Cluster.IntakeRow::setup, 2);
        Cluster.DeliveryRow deliveryOne = find(cluster.delivery, Cluster.DeliveryRow::setup, 1);
        Cluster.DeliveryRow deliveryTwo = find(cluster.delivery, Cluster.DeliveryRow::setup, 2);
        Cluster.LatencyRow latencyBase = baseline(cluster.latency, Cluster.LatencyRow::setup);
        Cluster.LatencyRow latencyOne = find(cluster.latency, Cluster.LatencyRow::setup, 1);
        Cluster.LatencyRow latencyTwo = find(cluster.latency, Cluster.LatencyRow::setup, 2);
        md.append("**What limits cluster mode on this machine.** Everything in this part ran on the same ").append(cores)
                .append(" cores: with two bridges, two bridge JVMs, the Kafka broker's JVM, PostgreSQL, the load generator and the "
                        + "fake vendor, besides whatever else the machine ran (the rest column). ");
        if (intakeOne != null && intakeTwo != null && intakeBase != null) {
            md.append(String.format("At the intake one bridge in cluster mode accepted %s the embedded bridge's events/s (%s per "
                            + "core-second), with Kafka and PostgreSQL using %.2f and %.2f of the setup's %.2f cores; two bridges "
                            + "accepted %s (%s per core-second). ",
                    times(intakeOne.events(), intakeBase.events()), times(intakeOne.perCore(), intakeBase.perCore()),
                    intakeOne.cores().kafka(), intakeOne.cores().postgres(), intakeOne.cores().setup(),
                    times(intakeTwo.events(), intakeBase.events()), times(intakeTwo.perCore(), intakeBase.perCore())));
        }
        if (deliveryOne != null && deliveryTwo != null && deliveryBase != null) {
            md.append(String.format("End to end, one bridge delivered %s the embedded rate (%s per core-second) and two %s (%s). ",
                    times(deliveryOne.rate(), deliveryBase.rate()), times(deliveryOne.perCore(), deliveryBase.perCore()),
                    times(deliveryTwo.rate(), deliveryBase.rate()), times(deliveryTwo.perCore(), deliveryBase.perCore())));
        }
        if (latencyOne != null && latencyTwo != null && latencyBase != null) {
            md.append(String.format("At %.0f events/s an event reached the vendor in %s at p50 with one bridge in cluster mode and "
                            + "%s with two, against %s embedded, the bridges using %.2f, %.2f and %.2f cores. ",
                    latencyOne.rate(), msOrNone(latencyOne.latency(), 50), msOrNone(latencyTwo.latency(), 50),
                    msOrNone(latencyBase.latency(), 50), latencyOne.cores().bridges(), latencyTwo.cores().bridges(),
                    latencyBase.cores().bridges()));
        }
        md.append("\n\nWhere the work goes: in cluster mode an accepted event is written to Kafka at the intake (`acks=all`), read back "
                + "by a processor, written again to the topic of each of its destinations in a transaction with the processor's "
                + "offsets, and read back by each destination's reader, which sees it only once that transaction commits "
                + "(`read_committed`); the embedded bridge does the same through Artemis inside its own JVM. The two logs do not "
                + "promise the same thing here: the embedded bridge syncs its journal to disk before the intake answers, while the "
                + "Kafka broker acknowledges once every in-sync replica holds the record in memory, and this broker is the only "
                + "replica (replication factor 1). On one machine Kafka's append is therefore the cheaper of the two; in production "
                + "its durability comes from replicas on other machines, whose round trips this run does not have. The broker's and "
                + "PostgreSQL's CPU, and the bridges' Kafka clients serialising, polling and committing, come out of the same two "
                + "cores the bridges work with. A second bridge on the same machine adds no cores, only a second JVM's fixed costs "
                + "(JIT, GC, a processor, readers and pools of its own) and coordination (the consumer groups split the partitions, "
                + "each processor commits its own transactions, every vendor request takes its permit through a row lock in "
                + "PostgreSQL). **The two-bridge figures are therefore not a scale-out measurement**: they show that two bridges "
                + "share the work, and what that costs, when they share two cores. Scale-out needs each bridge on cores of its own "
                + "and Kafka and PostgreSQL on others, which one 2-core machine cannot measure.\n\n");
    }

    private static <T> T find(List<T> rows, java.util.function.Function<T, Cluster.Setup> setup, int bridges) {
        return rows.stream().filter(row -> setup.apply(row).cluster() && setup.apply(row).bridges() == bridges).findFirst().orElse(null);
    }

    private static String times(double value, double base) {
        return base > 0 ? String.format("%.2f×", value / base) : "?";
    }

    /** p50, p90, p99 and max, as the open loops' paragraphs and log lines give them. */
    static String spread(Histogram micros) {
        return String.format("p50 %s, p90 %s, p99 %s, max %s", ms(micros.getValueAtPercentile(50)), ms(micros.getValueAtPercentile(90)),
                ms(micros.getValueAtPercentile(99)), ms(micros.getMaxValue()));
    }

    private static String msOrNone(Histogram histogram, double percentile) {
        return histogram.getTotalCount() == 0 ? "no samples" : ms(histogram.getValueAtPercentile(percentile));
    }

    private static void row(StringBuilder md, String rate, String name, long expected, Histogram histogram) {
        md.append(String.format("| %s | %s | %s | %s | %s | %s | %s |%n", rate, name,
                expected < 0 ? String.format("%,d", histogram.getTotalCount()) : String.format("%,d of %,d", histogram.getTotalCount(), expected),
                ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(90)),
                ms(histogram.getValueAtPercentile(99)), ms(histogram.getMaxValue())));
    }

    private void memoryTable(StringBuilder md) {
        md.append("### Memory and start (`").append(bridgeCommand == null ? "bin/segment-bridge" : bridgeCommand).append("`)\n\n")
                .append("| bridge launch | data folder at launch | launch to health 200 | RSS at idle (5 s after healthy) | RSS peak under load |\n|---|---|---|---|---|\n");
        for (String name : timeToHealthy.keySet()) {
            String data = name.startsWith("drain-") ? "the group's backlog queued" : name.startsWith("load-track") ? "the identify group, delivered" : "fresh";
            String phase = name.startsWith("intake-") ? BenchRun.OVERLOAD : name.replace("-", " ");
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
