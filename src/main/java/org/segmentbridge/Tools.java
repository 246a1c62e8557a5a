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
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.main.Main;
import org.segmentbridge.delivery.DeliveryService;
import org.segmentbridge.delivery.EventRoutes;
import org.segmentbridge.delivery.RequestPreview;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.intake.IntakeRejected;
import org.segmentbridge.intake.SegmentEvents;
import org.segmentbridge.mapping.MappingFileException;
import org.segmentbridge.mapping.Mappings;
import org.slf4j.LoggerFactory;

/**
 * The command-line tools: {@code check} validates settings, mappings and routes; {@code try EVENTS.json} prints the
 * requests events would cause. Both load the same configuration as the bridge, start no server and send nothing.
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

    private static void stopQuietly(Main main) {
        try {
            main.stop();
        } catch (Exception ignored) {
            // the tool's answer is already printed
        }
    }
}
