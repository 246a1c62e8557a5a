package org.segmentbridge;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.Main;
import org.segmentbridge.delivery.ActionCatalogue;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DeliveryService;
import org.segmentbridge.delivery.EventRoutes;
import org.segmentbridge.delivery.RequestPreview;
import org.segmentbridge.delivery.RouteWarnings;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.intake.IntakeRejected;
import org.segmentbridge.intake.SegmentEvents;
import org.segmentbridge.mapping.MappingFileException;
import org.segmentbridge.mapping.Mappings;
import org.segmentbridge.state.DataDirLock;
import org.segmentbridge.state.StateCopy;
import org.segmentbridge.state.StateDialect;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.state.StoreFailures;
import org.segmentbridge.vendor.Backfill;
import org.segmentbridge.vendor.Vendor;
import org.segmentbridge.vendor.Vendors;
import org.slf4j.LoggerFactory;

/**
 * The command-line tools: {@code check} validates settings, mappings and routes; {@code try EVENTS.json} prints the
 * requests events would cause; {@code actions} lists the vendors' actions and their parameters; {@code backfill
 * <vendor>} queues a date range of what a vendor reports to no one (Emarsys' engagement); {@code copy-state} copies the
 * data folder's embedded state into PostgreSQL. All load the same configuration as the bridge and start no server; only
 * backfill and copy-state touch the data folder, and neither writes to a vendor.
 */
final class Tools {

    private Tools() {
    }

    /** @return the exit code: 0 when everything is valid, 1 with each problem printed */
    static int check(PrintStream out) {
        quietLogs();
        Map<String, String> settings = toolSettings(BridgeConfiguration.Mode.CHECK);
        // Routes are built (every endpoint and step resolved) but not started: a user's timer or queue route stays idle.
        settings.put("camel.main.autoStartup", "false");
        Main main = Bridge.newMain(settings);
        try {
            main.start();
            CamelContext context = main.getCamelContext();
            Mappings mappings = context.getRegistry().lookupByNameAndType("mappings", Mappings.class);
            DeliveryService delivery = context.getRegistry().lookupByNameAndType("deliveryService", DeliveryService.class);
            EventRoutes routes = context.getRegistry().lookupByNameAndType("eventRoutes", EventRoutes.class);
            out.println("settings: ok");
            out.println("vendors: " + String.join(", ", Vendors.discovered().names()));
            out.println("mappings: " + mappings.names().size() + " ok " + mappings.names());
            List<Route> userRoutes = context.getRoutes();
            out.println("routes: " + userRoutes.size() + " ok " + userRoutes.stream().map(Route::getRouteId).sorted().toList());
            for (String destination : BridgeSettings.from(context).destinations()) {
                boolean connected = delivery.connectors().containsKey(destination);
                out.println("destination " + destination + ": " + (connected
                        ? "connector " + delivery.connectors().get(destination).getClass().getSimpleName() + ", "
                                + routes.routeCount(destination) + " route(s)"
                        : "no connector yet (its events stay queued)"));
            }
            context.getRegistry().lookupByNameAndType(RouteWarnings.BEAN, RouteWarnings.class).all()
                    .forEach(warning -> out.println("warning: " + warning));
            out.println("check passed");
            return 0;
        } catch (Exception e) {
            out.println("check failed:");
            problems(e).forEach(problem -> out.println("  " + problem));
            return 1;
        } finally {
            stopQuietly(main);
        }
    }

    /** @return the exit code: 0 when the file's events were previewed, 1 when the file or the configuration is invalid */
    static int tryEvents(Path file, PrintStream out) {
        quietLogs();
        List<ObjectNode> events;
        try {
            events = SegmentEvents.from(SegmentEvents.parse(Files.readAllBytes(file)), Instant.now());
        } catch (java.nio.file.NoSuchFileException e) {
            out.println("try: no such file: " + file);
            return 1;
        } catch (IOException e) {
            out.println("try: cannot read " + file + ": " + e.getMessage());
            return 1;
        } catch (IntakeRejected rejected) {
            out.println("try: " + file + " is not valid Segment events: " + rejected.getMessage());
            return 1;
        }
        Main main = Bridge.newMain(toolSettings(BridgeConfiguration.Mode.TRY));
        try {
            main.start();
            CamelContext context = main.getCamelContext();
            out.println("try: " + events.size() + " event(s) from " + file + " (nothing is sent)");
            new RequestPreview(context.getRegistry().lookupByNameAndType("deliveryService", DeliveryService.class),
                    context.getRegistry().lookupByNameAndType("eventRoutes", EventRoutes.class),
                    context.getRegistry().lookupByNameAndType("identityStore", IdentityStore.class),
                    context.getRegistry().lookupByNameAndType("privacy", Privacy.class)::screenAlone).print(events, out);
            return 0;
        } catch (Exception e) {
            out.println("try failed:");
            problems(e).forEach(problem -> out.println("  " + problem));
            return 1;
        } finally {
            stopQuietly(main);
        }
    }

    /**
     * {@code actions}: every action of the connectors the destinations use, with its parameters. {@code actions
     * --readme} writes that catalogue into README.md (in the working directory) between its markers instead.
     *
     * @return 0, 1 when the settings name a connector that cannot be made or the README has no markers, 2 for a bad
     *         command line
     */
    static int actions(List<String> args, PrintStream out) {
        if (!args.isEmpty() && !args.equals(List.of("--readme"))) {
            out.println("actions takes no arguments, or --readme to regenerate README.md's action reference");
            return 2;
        }
        quietLogs();
        try {
            ActionCatalogue catalogue = new ActionCatalogue(configuredConnectors());
            if (args.isEmpty()) {
                catalogue.print(out);
                return 0;
            }
            Path readme = Path.of("README.md");
            String text = Files.readString(readme);
            String regenerated = ActionReference.replaced(text, ActionReference.block(catalogue.markdown()));
            if (regenerated.equals(text)) {
                out.println("README.md: the action reference is up to date");
            } else {
                Files.writeString(readme, regenerated);
                out.println("README.md: the action reference is regenerated");
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            out.println("actions failed: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The connector of each destination, from application.properties (the working directory's, else the packaged
     * one) and the environment, as the bridge reads them, without starting it.
     */
    static Map<String, Connector> configuredConnectors() {
        // Only its properties are used: the context is never started.
        CamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation(Bridge.PROPERTY_LOCATIONS);
        SettingsReader settings = new SettingsReader(context.getPropertiesComponent());
        Vendors vendors = Vendors.discovered();
        Map<String, Connector> connectors = new LinkedHashMap<>();
        for (String destination : settings.list("bridge.destinations")) {
            vendors.serving(destination, settings).ifPresent(vendor -> connectors.put(destination, vendor.connector()));
        }
        return connectors;
    }

    /**
     * {@code backfill <vendor> --from DATE --to DATE}: queues the range's engagement for the segment destination in the
     * data folder, which no running bridge may hold at the same time. Which vendors take it, and what a run does, is
     * theirs ({@link Vendor#backfill()}).
     *
     * @param overrides settings over application.properties; {@code beans} bound by name (tests give a clock)
     * @return 0 when the range is queued, 1 when it stopped (a second run resumes), 2 for a bad command line
     */
    static int backfill(List<String> args, PrintStream out, Map<String, String> overrides, Map<String, Object> beans) {
        Map<String, Backfill> backfills = Vendors.discovered().backfills();
        BackfillArguments range;
        try {
            range = BackfillArguments.parse(args, List.copyOf(backfills.keySet()));
        } catch (IllegalArgumentException e) {
            out.println("backfill: " + e.getMessage());
            out.println("usage: java -jar segment-bridge.jar backfill " + String.join("|", backfills.keySet())
                    + " --from 2026-01-01 --to 2026-02-01");
            return 2;
        }
        quietLogs();
        // The broker's own start-up warnings would interleave with the progress lines.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.activemq")).setLevel(ch.qos.logback.classic.Level.OFF);
        Map<String, String> settings = toolSettings(BridgeConfiguration.Mode.BACKFILL);
        // The scheduled route is built but not started: this process runs the range it was given, nothing else.
        settings.put("camel.main.autoStartup", "false");
        settings.putAll(overrides);
        Main main = Bridge.newMain(settings);
        beans.forEach(main::bind);
        Thread shutdown = new Thread(() -> stopQuietly(main), "backfill-shutdown");
        try {
            main.start();
            Runtime.getRuntime().addShutdownHook(shutdown);
            backfills.get(range.vendor()).run(main.getCamelContext(), range.from(), range.to(), out);
            return 0;
        } catch (Backfill.CannotRun e) {
            out.println("backfill: cannot run: " + e.getMessage());
            return 1;
        } catch (Backfill.Stopped e) {
            out.println("backfill stopped: " + e.getMessage());
            out.println("run the same command again to resume at the first window not queued");
            return 1;
        } catch (Exception e) {
            out.println("backfill failed:");
            problems(e).forEach(problem -> out.println("  " + problem));
            if (problems(e).stream().anyMatch(problem -> problem.contains(DataDirLock.FILE))) {
                out.println("  stop the bridge and run the command again, or let its scheduled backfill catch up");
            }
            return 1;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdown);
            } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrNeverAdded) {
                // the hook stops the bridge itself
            }
            stopQuietly(main);
        }
    }

    /**
     * {@code copy-state}: copies the state of the data folder's embedded H2 database into the empty PostgreSQL database
     * {@code bridge.state.jdbc-url} names, for the move from one embedded bridge to cluster mode. It holds the data
     * folder's lock (so it refuses to run beside a bridge on the folder), migrates both databases as a bridge would at
     * its start, and copies in one transaction ({@link StateCopy}). Nothing but the state store is started.
     *
     * @param overrides settings over application.properties and the environment (tests)
     * @return 0 when copied, 1 when refused or failed (the target is left empty), 2 for a bad command line
     */
    static int copyState(List<String> args, PrintStream out, Map<String, String> overrides) {
        if (!args.isEmpty()) {
            out.println("copy-state takes no arguments: it copies the state of the data folder (bridge.data-dir, BRIDGE_DATA_DIR)"
                    + " into the PostgreSQL database of bridge.state.jdbc-url (BRIDGE_STATE_JDBC_URL)");
            return 2;
        }
        quietLogs();
        String password = "";
        DataDirLock lock = null;
        StateStore source = null;
        StateStore target = null;
        try {
            SettingsReader settings = settingsOnly(overrides);
            Path dataDir = Path.of(settings.required("bridge.data-dir")).toAbsolutePath().normalize();
            String url = settings.optional("bridge.state.jdbc-url").orElse("");
            String username = settings.optional("bridge.state.username").orElse("bridge");
            password = settings.optional("bridge.state.password").orElse("");
            Optional<String> badTarget = copyTargetProblem(url);
            if (badTarget.isPresent()) {
                out.println("copy-state: " + badTarget.get());
                return 1;
            }
            Path file = StateStore.embeddedFile(dataDir);
            if (!Files.isRegularFile(file)) {
                out.println("copy-state: the data folder " + dataDir + " holds no embedded state database (" + file + " does not"
                        + " exist): set bridge.data-dir (BRIDGE_DATA_DIR) to the folder the embedded bridge ran on");
                return 1;
            }
            lock = new DataDirLock(dataDir);
            try {
                lock.start();
            } catch (RuntimeException e) {
                lock = null;
                out.println("copy-state: " + String.join("; ", problems(e)));
                out.println("  stop the bridge (after draining its logs, see README \"Moving from embedded to cluster mode\")"
                        + " and run the command again");
                return 1;
            }
            out.println("copy-state: from " + file + " (H2) into " + shownUrl(url) + " (PostgreSQL)");
            long started = System.nanoTime();
            source = new StateStore(dataDir);
            try {
                source.start();
            } catch (RuntimeException e) {
                if (!wrongCredentials(e)) {
                    out.println(masked("copy-state failed: the H2 state in " + file + " could not be opened: "
                            + StoreFailures.describe(e), password));
                    return 1;
                }
                // The embedded bridge passed bridge.state.username/password to the H2 file it created: a bridge that ran
                // with them set made its file with them.
                stopQuietly(source);
                source = new StateStore(null, username, password, dataDir);
                try {
                    source.start();
                } catch (RuntimeException again) {
                    out.println(masked("copy-state failed: the H2 state in " + file + " could not be opened: "
                            + StoreFailures.describe(again), password));
                    return 1;
                }
            }
            target = new StateStore(url, username, password, dataDir);
            try {
                target.start();
            } catch (RuntimeException e) {
                out.println(masked("copy-state failed: the PostgreSQL database " + shownUrl(url) + " could not be opened and"
                        + " migrated: " + StoreFailures.describe(e), password));
                return 1;
            }
            StateCopy.Result copied = StateCopy.copy(source.dataSource(), target.dataSource(), out);
            if (!copied.targetOnly().isEmpty()) {
                out.println("  left empty, cluster mode's own: " + String.join(", ", copied.targetOnly()));
            }
            out.println("copy-state done: " + copied.rows() + " rows of " + copied.tables().size() + " tables copied in one"
                    + " transaction in " + String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9)
                    + " s. Start the cluster on this database; the data folder's state is left where it is");
            return 0;
        } catch (StateCopy.Refused e) {
            out.println(masked("copy-state: " + e.getMessage(), password));
            out.println("  nothing was copied");
            return 1;
        } catch (java.sql.SQLException e) {
            out.println(masked("copy-state failed: " + StoreFailures.describe(e), password));
            out.println("  nothing was copied (the PostgreSQL database is left as it was): run the command again once that is fixed");
            return 1;
        } catch (RuntimeException e) {
            out.println(masked("copy-state failed: " + String.join("; ", problems(e)), password));
            out.println("  nothing was copied (the PostgreSQL database is left as it was): run the command again once that is fixed");
            return 1;
        } finally {
            for (org.apache.camel.Service service : java.util.Arrays.asList(target, source, lock)) {
                if (service != null) {
                    stopQuietly(service);
                }
            }
        }
    }

    /** Why copy-state cannot copy into this {@code bridge.state.jdbc-url}, if it cannot: it must be PostgreSQL. */
    static Optional<String> copyTargetProblem(String url) {
        String setting = "Setting bridge.state.jdbc-url (BRIDGE_STATE_JDBC_URL)";
        String wanted = "set it to the new, empty PostgreSQL database the cluster will use, jdbc:postgresql://host:5432/database";
        if (url.isBlank()) {
            return Optional.of(setting + " is empty, so the state would stay in the embedded H2 file: " + wanted);
        }
        try {
            if (StateDialect.of(url) == StateDialect.H2) {
                return Optional.of(setting + " names an H2 database: copy-state copies the embedded H2 state into PostgreSQL; " + wanted);
            }
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
        return Optional.empty();
    }

    /** H2's "wrong user name or password" (SQLState 28000) anywhere in the cause chain. */
    private static boolean wrongCredentials(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql && "28000".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** A JDBC URL as it may be printed: a password given in it is masked. */
    static String shownUrl(String url) {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    private static String masked(String text, String password) {
        return password == null || password.isEmpty() ? text : text.replace(password, "***");
    }

    /** The settings (application.properties, the environment, {@code overrides} first), without starting anything. */
    private static SettingsReader settingsOnly(Map<String, String> overrides) {
        CamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation(Bridge.PROPERTY_LOCATIONS);
        java.util.Properties override = new java.util.Properties();
        override.putAll(overrides);
        context.getPropertiesComponent().setOverrideProperties(override);
        return new SettingsReader(context.getPropertiesComponent());
    }

    /** The backfill command's arguments: the vendor, and the range as instants. */
    record BackfillArguments(String vendor, Instant from, Instant to) {

        /** @param pulled the vendors that offer a backfill */
        static BackfillArguments parse(List<String> args, List<String> pulled) {
            if (args.isEmpty()) {
                throw new IllegalArgumentException("name the vendor to backfill: " + String.join(" or ", pulled));
            }
            String vendor = args.get(0);
            if (!pulled.contains(vendor)) {
                throw new IllegalArgumentException("cannot backfill '" + vendor + "': only " + String.join(" and ", pulled)
                        + (pulled.size() == 1 ? " is" : " are") + " pulled (the other vendors push their engagement to /webhooks/*)");
            }
            Map<String, String> flags = new LinkedHashMap<>();
            for (int i = 1; i < args.size(); i++) {
                String arg = args.get(i);
                String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (!name.equals("--from") && !name.equals("--to")) {
                    throw new IllegalArgumentException("unknown option '" + name + "': backfill " + vendor + " takes --from and --to");
                }
                String value;
                if (arg.contains("=")) {
                    value = arg.substring(arg.indexOf('=') + 1);
                } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                    value = args.get(++i);
                } else {
                    value = "";
                }
                if (value.isBlank()) {
                    throw new IllegalArgumentException(name + " needs a date (yyyy-MM-dd, UTC) or an ISO-8601 instant");
                }
                if (flags.put(name, value) != null) {
                    throw new IllegalArgumentException(name + " is given twice");
                }
            }
            for (String required : List.of("--from", "--to")) {
                if (!flags.containsKey(required)) {
                    throw new IllegalArgumentException(required + " is missing: give the range as --from 2026-01-01 --to 2026-02-01");
                }
            }
            Instant from = instant("--from", flags.get("--from"));
            Instant to = instant("--to", flags.get("--to"));
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException("--from " + flags.get("--from") + " must be before --to " + flags.get("--to"));
            }
            return new BackfillArguments(vendor, from, to);
        }

        private static Instant instant(String flag, String value) {
            try {
                return java.time.LocalDate.parse(value).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
            } catch (java.time.format.DateTimeParseException notADate) {
                try {
                    return java.time.OffsetDateTime.parse(value).toInstant();
                } catch (java.time.format.DateTimeParseException notAnInstant) {
                    throw new IllegalArgumentException(flag + " '" + value + "' is not a date (yyyy-MM-dd, UTC) or an "
                            + "ISO-8601 instant with a zone (2026-01-01T00:00:00Z)");
                }
            }
        }
    }

    private static Map<String, String> toolSettings(BridgeConfiguration.Mode mode) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(BridgeConfiguration.MODE_PROPERTY, mode.name().toLowerCase(java.util.Locale.ROOT));
        settings.put("camel.server.enabled", "false");
        settings.put("camel.management.enabled", "false");
        settings.put("camel.metrics.enabled", "false");
        // Route errors then name the file and line of the step at fault.
        settings.put("camel.main.sourceLocationEnabled", "true");
        return settings;
    }

    /** Every distinct message along the cause chain, a mapping file's problems one per line. */
    private static Set<String> problems(Throwable failure) {
        Set<String> problems = new LinkedHashSet<>();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof MappingFileException mappingProblems) {
                problems.addAll(mappingProblems.problems());
            } else if (cause instanceof RouteSettingsCheck.Refused routeProblems) {
                problems.addAll(routeProblems.problems());
            } else if (cause.getMessage() != null) {
                problems.add(cause.getMessage().strip());
            }
        }
        return problems;
    }

    private static void quietLogs() {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.OFF);
    }

    private static void stopQuietly(org.apache.camel.Service service) {
        try {
            service.stop();
        } catch (Exception ignored) {
            // the tool's answer is printed already
        }
    }

    private static void stopQuietly(Main main) {
        try {
            main.stop();
        } catch (Exception ignored) {
            // the tool's answer is already printed
        }
    }
}
