package org.segmentbridge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Resource;
import org.segmentbridge.delivery.DeliveryService;
import org.segmentbridge.delivery.RouteWarnings;

/**
 * Every setting a route file reads must have a value, checked when the route files are loaded and before any route is
 * built, so that {@code check} and the start refuse a use case that could only dead-letter its events.
 *
 * <p>The convention: {@code {{key}}} in a route file must resolve to a value that is not blank; {@code {{key:}}} or
 * {@code {{key:default}}} (Camel's own default syntax) marks a setting the route works without. Camel's functions
 * ({@code {{env:NAME}}}, {@code {{sys:NAME}}} ...) and its optional form {@code {{?key}}} are not checked.
 *
 * <p>A key that names no setting at all is an error everywhere (Camel could not build the route either). A key whose
 * value is empty is an error, naming the file, its lines, the setting and the environment variable that sets it,
 * unless every route of the file starts from {@code events:<destination>} and none of those destinations sends (it
 * runs in dry-run, has no credentials yet, or is disabled): then it is a warning, so the quick start, which runs every
 * vendor in dry-run without settings, starts with every shipped route. A file with another kind of route (a timer, a
 * schedule) runs whatever the destinations do, so its problems are always errors.
 */
final class RouteSettingsCheck extends MainListenerSupport {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(.*?)}}");
    /** How application.properties names the environment variable that overrides a setting: {@code {{env:NAME:default}}}. */
    private static final Pattern FROM_ENVIRONMENT = Pattern.compile("\\{\\{env:([A-Za-z_][A-Za-z0-9_]*)(:.*)?}}");
    private static final String EVENTS = "events:";

    /** The route files' setting problems that stop the start, all at once. */
    static final class Refused extends IllegalArgumentException {
        private final List<String> problems;

        Refused(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        List<String> problems() {
            return problems;
        }
    }

    @Override
    public void afterConfigure(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        RouteWarnings warnings = context.getRegistry().lookupByNameAndType(RouteWarnings.BEAN, RouteWarnings.class);
        DeliveryService delivery = context.getRegistry().lookupByNameAndType("deliveryService", DeliveryService.class);
        if (warnings == null || delivery == null) {
            return; // not the bridge's configuration
        }
        Map<String, List<RouteDefinition>> routesByFile = new LinkedHashMap<>();
        Map<String, String> fileByRouteId = new LinkedHashMap<>();
        for (RouteDefinition route : context.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinitions()) {
            if (route.getResource() != null) {
                String file = shown(route.getResource().getLocation());
                routesByFile.computeIfAbsent(file, ignored -> new ArrayList<>()).add(route);
                if (route.getRouteId() != null) {
                    fileByRouteId.put(route.getRouteId(), file);
                }
            }
        }
        warnings.routeFiles(fileByRouteId);

        PropertiesComponent properties = context.getPropertiesComponent();
        List<String> errors = new ArrayList<>();
        for (Resource resource : routeFiles(main)) {
            String file = shown(resource.getLocation());
            Optional<String> idle = idleBecause(routesByFile.getOrDefault(file, List.of()), delivery);
            placeholders(read(resource)).forEach((key, lines) -> {
                String where = file + ", " + lines(lines) + ": {{" + key + "}}";
                Optional<String> value;
                try {
                    value = properties.resolveProperty(key);
                } catch (RuntimeException unresolvable) {
                    errors.add(where + " cannot be resolved: " + unresolvable.getMessage());
                    return;
                }
                if (value.isEmpty()) {
                    errors.add(where + " names no setting: add " + key + " to application.properties, or delete the route "
                            + "file if you do not use this use case");
                } else if (value.get().isBlank()) {
                    String problem = where + " has no value: set " + key + environment(properties, key)
                            + ", or delete the route file if you do not use this use case";
                    if (idle.isPresent()) {
                        warnings.setting(routesOn(lines, routesByFile.getOrDefault(file, List.of())),
                                problem + RouteWarnings.onlyWhile(idle.get()));
                    } else {
                        errors.add(problem);
                    }
                }
            });
        }
        if (!errors.isEmpty()) {
            throw new Refused(errors);
        }
    }

    /** The files Camel loads routes from: the same collector and patterns, sorted so problems come in a stable order. */
    private static List<Resource> routeFiles(BaseMainSupport main) {
        String include = main.configure().getRoutesIncludePattern();
        if (include == null || include.isBlank() || main.getRoutesCollector() == null) {
            return List.of();
        }
        // An optional location (Camel's ?optional=true suffix) is scanned like any other when it exists.
        String patterns = Arrays.stream(include.split(",")).map(String::trim)
                .map(pattern -> pattern.endsWith("?optional=true") ? pattern.substring(0, pattern.length() - "?optional=true".length()) : pattern)
                .collect(Collectors.joining(","));
        Collection<Resource> found = main.getRoutesCollector().findRouteResourcesFromDirectory(main.getCamelContext(),
                main.configure().getRoutesExcludePattern(), patterns);
        return found.stream().sorted(Comparator.comparing(Resource::getLocation)).toList();
    }

    /**
     * Why none of the file's destinations sends, or empty when one does or when the file has a route that does not
     * start from {@code events:} (its problems are then errors).
     */
    private static Optional<String> idleBecause(List<RouteDefinition> routes, DeliveryService delivery) {
        if (routes.isEmpty()) {
            return Optional.empty();
        }
        Set<String> reasons = new LinkedHashSet<>();
        for (RouteDefinition route : routes) {
            String uri = route.getInput() == null ? null : route.getInput().getEndpointUri();
            if (uri == null || !uri.startsWith(EVENTS)) {
                return Optional.empty();
            }
            String destination = uri.substring(EVENTS.length()).replaceFirst("\\?.*", "");
            Optional<String> idle = delivery.idleBecause(destination);
            if (idle.isEmpty()) {
                return Optional.empty();
            }
            reasons.add(idle.get());
        }
        return Optional.of(String.join(" and ", reasons));
    }

    /**
     * The ids of the routes these lines of their file belong to: a route runs from its own line to the next route's.
     * All of the file's routes when Camel recorded no line numbers.
     */
    private static Set<String> routesOn(List<Integer> lines, List<RouteDefinition> routes) {
        List<RouteDefinition> byLine = routes.stream().filter(route -> route.getRouteId() != null)
                .sorted(Comparator.comparingInt(RouteDefinition::getLineNumber)).toList();
        Set<String> ids = new LinkedHashSet<>();
        if (byLine.stream().anyMatch(route -> route.getLineNumber() < 0)) {
            byLine.forEach(route -> ids.add(route.getRouteId()));
            return ids;
        }
        for (int line : lines) {
            RouteDefinition containing = null;
            for (RouteDefinition route : byLine) {
                if (route.getLineNumber() <= line) {
                    containing = route;
                }
            }
            if (containing != null) {
                ids.add(containing.getRouteId());
            }
        }
        return ids;
    }

    /** The required placeholders of a route file (key → the lines it is on), comments left out. */
    static Map<String, List<Integer>> placeholders(String text) {
        Map<String, List<Integer>> keys = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher placeholder = PLACEHOLDER.matcher(withoutComment(lines[i]));
            while (placeholder.find()) {
                String key = placeholder.group(1).trim();
                // key:default and Camel's functions (env:NAME ...) have a colon; ?key is Camel's optional placeholder.
                if (!key.isEmpty() && !key.contains(":") && !key.startsWith("?")) {
                    List<Integer> at = keys.computeIfAbsent(key, ignored -> new ArrayList<>());
                    if (!at.contains(i + 1)) {
                        at.add(i + 1);
                    }
                }
            }
        }
        return keys;
    }

    /** The line up to a YAML comment: a # at its start or after a space, outside quotes. */
    private static String withoutComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private static String lines(List<Integer> lines) {
        if (lines.size() == 1) {
            return "line " + lines.get(0);
        }
        List<String> numbers = lines.stream().map(String::valueOf).toList();
        return "lines " + String.join(", ", numbers.subList(0, numbers.size() - 1)) + " and " + numbers.get(numbers.size() - 1);
    }

    /** The environment variable application.properties reads the setting from, as " (environment NAME)", else "". */
    private static String environment(PropertiesComponent properties, String key) {
        String raw = properties.loadProperties(key::equals).getProperty(key);
        if (raw != null) {
            Matcher env = FROM_ENVIRONMENT.matcher(raw.trim());
            if (env.matches()) {
                return " (environment " + env.group(1) + ")";
            }
        }
        return "";
    }

    /** A route file as messages name it: relative to the working directory when inside it, as Camel's own errors do. */
    private static String shown(String location) {
        String path = location.startsWith("file:") ? location.substring("file:".length()) : location;
        try {
            Path file = Path.of(path);
            Path here = Path.of("").toAbsolutePath();
            return file.isAbsolute() && file.startsWith(here) ? here.relativize(file).toString() : path;
        } catch (RuntimeException notAPath) {
            return path;
        }
    }

    private static String read(Resource resource) {
        try (InputStream in = resource.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read route file " + shown(resource.getLocation()) + ": " + e.getMessage(), e);
        }
    }
}
