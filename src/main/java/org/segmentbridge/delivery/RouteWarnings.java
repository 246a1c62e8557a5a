package org.segmentbridge.delivery;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is wrong with the routes but does not stop the start, because the destinations concerned send nothing yet
 * (dry-run, disabled): a setting a route file reads without a value, an action's required parameter left empty. Once
 * such a destination sends, the same problems stop the start. Also what works today but will not (a vendor's
 * credentials that are going away). Each warning is logged once when found, and {@code check} prints them. Bound in the registry as {@value #BEAN}.
 */
public final class RouteWarnings {

    public static final String BEAN = "routeWarnings";

    private static final Logger LOG = LoggerFactory.getLogger(RouteWarnings.class);

    private final Set<String> warnings = new LinkedHashSet<>();
    private final Map<String, String> fileOfRoute = new HashMap<>();
    private final Set<String> routesWithSettingWarnings = new HashSet<>();

    /** Which file each route comes from (route id → the file as warnings name it). */
    public synchronized void routeFiles(Map<String, String> fileByRouteId) {
        fileOfRoute.putAll(fileByRouteId);
    }

    /** A route file reads a setting that has no value, in these routes. */
    public synchronized void setting(Collection<String> routeIds, String warning) {
        routesWithSettingWarnings.addAll(routeIds);
        add(warning);
    }

    /**
     * A step of a route is incomplete (an action's required parameter is empty). Left out when the route already has
     * a setting warning: the empty setting is the cause, and its warning says which one to set.
     *
     * @param routeId the route being built, when known
     */
    public synchronized void step(String routeId, String warning) {
        if (routeId != null && routesWithSettingWarnings.contains(routeId)) {
            LOG.debug("Route {}: {} (its setting warning names the cause)", routeId, warning);
            return;
        }
        String where = where(routeId);
        add(where.isEmpty() ? warning : where + ": " + warning);
    }

    /**
     * Where a route is, as messages name it: {@code routes/emarsys/audiences.yaml, route emarsys-audiences}, the route
     * alone when its file is not known, "" for no route.
     */
    public synchronized String where(String routeId) {
        if (routeId == null) {
            return "";
        }
        String file = fileOfRoute.get(routeId);
        return (file == null ? "" : file + ", ") + "route " + routeId;
    }

    /** The end of a warning's text: why it only warns, and when it will stop the start. */
    public static String onlyWhile(String idleBecause) {
        return " (only a warning while " + idleBecause + "; once it sends, the bridge refuses to start)";
    }

    /** A setting the bridge runs with but should not (a vendor's credentials that are going away). */
    public synchronized void configuration(String warning) {
        add(warning);
    }

    private void add(String warning) {
        if (warnings.add(warning)) {
            LOG.warn(warning);
        }
    }

    /** The file a route comes from, as warnings name it. */
    public synchronized Optional<String> fileOf(String routeId) {
        return Optional.ofNullable(fileOfRoute.get(routeId));
    }

    /** The warnings about one route: those that name it, or its file's settings. */
    public synchronized List<String> about(String routeId) {
        String file = fileOfRoute.get(routeId);
        String named = where(routeId);
        return warnings.stream().filter(warning -> warning.startsWith(named) || file != null && warning.startsWith(file + ", "))
                .toList();
    }

    public synchronized List<String> all() {
        return List.copyOf(warnings);
    }
}
