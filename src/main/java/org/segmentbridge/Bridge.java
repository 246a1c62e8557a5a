package org.segmentbridge;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.segmentbridge.intake.GatedHttpServerFactory;
import org.segmentbridge.observe.LogFormat;
import org.segmentbridge.vendor.Vendors;

/**
 * Entry point: {@code java -jar segment-bridge.jar} runs the bridge from the project folder, reading
 * {@code application.properties}, {@code routes/} and {@code mappings/} from the working directory.
 */
public final class Bridge {

    /**
     * The working directory's application.properties, else the copy packaged in the jar. Camel takes a key from the
     * first location that has it, so the user's file must come first.
     */
    static final String PROPERTY_LOCATIONS =
            "file:application.properties;optional=true,classpath:application.properties;optional=true";

    private Bridge() {
    }

    static final String USAGE = """
            Usage: java -jar segment-bridge.jar [command]
              (no command)      run the bridge
              check             validate settings, mappings and routes; exit 1 naming each problem
              try EVENTS.json   print the vendor requests the events in the file would cause; nothing is sent
              actions           list every vendor action with its parameters (type, required or default,
                                allowed values, doc); actions --readme regenerates README.md's action reference
              backfill VENDOR --from DATE --to DATE
                                read the engagement of the range from a vendor that reports it to no one
                                (%s; dates yyyy-MM-dd in UTC, --to exclusive, or ISO-8601 instants) and
                                queue it for Segment; a second run of the range resumes where the first stopped.
                                Needs the data folder: stop the bridge first; it sends the events when it next runs
              copy-state        copy the state of the data folder's embedded H2 database (BRIDGE_DATA_DIR) into the
                                new, empty PostgreSQL database of BRIDGE_STATE_JDBC_URL, for the move to cluster mode.
                                Needs the data folder: stop the bridge first""";

    /**
     * Netty's pooled buffers: at most four arenas of each kind, set before Netty's allocator is first loaded; a
     * {@code -D} of the same name wins. Netty takes two arenas per core, each growing by 4 MB chunks on the heap and
     * off it, so its memory grew with the machine's cores rather than with the load. Four direct arenas is its own
     * choice on two cores (the machine the benchmarks measure); larger machines get no more. Fewer than four saved a
     * few MB on two cores and looked slower for /v1/track, whose 64 intake workers allocate from them too.
     * <p>
     * Heap arenas get one per two cores instead: only Artemis' in-VM packets use them, and each of their 4 MB chunks
     * is an object the collector never frees. On two cores, with four arenas 28 of the heap's 256 one-MB regions held
     * such long-lived large objects once traffic began, with one 13, at the same rate of /v1/track requests (four
     * alternating pairs of floods).
     */
    static final int NETTY_MAX_ARENAS = 4;

    /** Netty's arena counts for a machine of this many cores, by the system property that sets each. */
    static Map<String, Integer> nettyArenas(int cores) {
        return Map.of("io.netty.allocator.numDirectArenas", Math.min(NETTY_MAX_ARENAS, 2 * cores),
                "io.netty.allocator.numHeapArenas", Math.max(1, Math.min(NETTY_MAX_ARENAS, cores / 2)));
    }

    public static void main(String[] args) throws Exception {
        // Before the first line is logged: the start's own lines are then in the chosen format too.
        LogFormat.fromEnvironment();
        nettyArenas(Runtime.getRuntime().availableProcessors()).forEach((key, arenas) -> {
            if (System.getProperty(key) == null) {
                System.setProperty(key, Integer.toString(arenas));
            }
        });
        if (args.length == 0) {
            System.exit(runOrExplain(newMain(Map.of())));
        }
        int exit = switch (args[0]) {
            case "check" -> args.length == 1 ? Tools.check(System.out) : usage("check takes no arguments");
            case "try" -> args.length == 2 ? Tools.tryEvents(java.nio.file.Path.of(args[1]), System.out)
                    : usage("try takes one file of Segment events");
            case "actions" -> Tools.actions(java.util.List.of(args).subList(1, args.length), System.out);
            case "backfill" -> Tools.backfill(java.util.List.of(args).subList(1, args.length), System.out, Map.of(), Map.of());
            case "copy-state" -> Tools.copyState(java.util.List.of(args).subList(1, args.length), System.out, Map.of());
            case "help", "--help", "-h" -> usage(null);
            default -> usage("unknown command '" + args[0] + "'");
        };
        System.exit(exit);
    }

    /**
     * {@link #runUntilStopped}, and 1 when the start failed: the JVM must end then, though threads the start began (the
     * broker's, Vert.x') are still there. Camel has already logged the failure with its cause; this names it once more
     * as the last line.
     */
    private static int runOrExplain(Main main) {
        try {
            return runUntilStopped(main);
        } catch (Exception failedStart) {
            System.err.println("segment-bridge did not start: " + failedStart.getMessage());
            return 1;
        }
    }

    /**
     * Runs the bridge until it is stopped, and returns 0 once it stopped cleanly. On SIGTERM Camel's own hook stops
     * it (see {@code bridge.shutdown.timeout}); the JVM would then end with the signal's status, 143, which process
     * supervisors count as a failure. This hook waits for that stop to end and ends the JVM with the run's status
     * instead; a stop that outlasts every timeout is left to end with 143.
     */
    static int runUntilStopped(Main main) throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        AtomicInteger exitCode = new AtomicInteger(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (ended.await(longestStop(main).toMillis(), TimeUnit.MILLISECONDS)) {
                    Runtime.getRuntime().halt(exitCode.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bridge-exit"));
        try {
            main.run();
            exitCode.set(0);
        } finally {
            ended.countDown();
        }
        return exitCode.get();
    }

    /**
     * The longest a stop may take: delivery's wait for the vendor requests in flight, then Camel's for the routes, each
     * within the shutdown timeout, and the time Camel's hook allows on top for the services.
     */
    private static Duration longestStop(Main main) {
        CamelContext context = main.getCamelContext();
        long timeoutSeconds = context == null ? 0
                : context.getShutdownStrategy().getTimeUnit().toSeconds(context.getShutdownStrategy().getTimeout());
        return Duration.ofSeconds(2 * timeoutSeconds + main.getShutdownStrategy().getExtraShutdownTimeout());
    }

    private static int usage(String problem) {
        if (problem != null) {
            System.err.println(problem);
        }
        System.err.println(USAGE.formatted(String.join(" or ", Vendors.discovered().backfills().keySet())));
        return problem == null ? 0 : 2;
    }

    /**
     * A bridge ready to start. {@code overrides} take precedence over application.properties and the environment
     * (tests use them to pick ports and a data folder).
     */
    public static Main newMain(Map<String, String> overrides) {
        Main main = new Main();
        main.setPropertyPlaceholderLocations(PROPERTY_LOCATIONS);
        overrides.forEach(main::addOverrideProperty);
        main.configure().addConfiguration(BridgeConfiguration.class);
        main.bind("gatedHttpServerFactory", new GatedHttpServerFactory());
        // Once the route files are loaded and before any route is built: each setting they read must have a value.
        main.addMainListener(new RouteSettingsCheck());
        return main;
    }
}
