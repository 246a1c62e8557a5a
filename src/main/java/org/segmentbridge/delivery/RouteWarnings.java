package org.segmentbridge.delivery;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is wrong with the routes but does not stop the start, because the destinations concerned send nothing yet
 * (dry-run, disabled): an action's required parameter left empty. Once such a destination sends, the same problems
 * stop the start. Each warning is logged once when found, and {@code check} prints them. Bound in the registry as
 * {@value #BEAN}.
 */
public final class RouteWarnings {

    public static final String BEAN = "routeWarnings";

    private static final Logger LOG = LoggerFactory.getLogger(RouteWarnings.class);

    private final Set<String> warnings = new LinkedHashSet<>();

    /**
     * A step of a route is incomplete (an action's required parameter is empty).
     *
     * @param routeId the route being built, when known
     */
    public synchronized void step(String routeId, String warning) {
        add(routeId == null ? warning : "route " + routeId + ": " + warning);
    }

    /** The end of a warning's text: why it only warns, and when it will stop the start. */
    public static String onlyWhile(String idleBecause) {
        return " (only a warning while " + idleBecause + "; once it sends, the bridge refuses to start)";
    }

    private void add(String warning) {
        if (warnings.add(warning)) {
            LOG.warn(warning);
        }
    }

    public synchronized List<String> all() {
        return List.copyOf(warnings);
    }
}
