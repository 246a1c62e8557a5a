package org.segmentbridge.delivery;

/**
 * A route leaves an action's required parameter empty (typically a setting it reads with {@code {{key}}} that has no
 * value), so the action could only dead-letter every event. {@code deliver:} refuses the route when its destination
 * sends; while the destination sends nothing (dry-run, disabled) it only warns, so the quick start runs every
 * shipped route without settings.
 */
public class MissingParameter extends IllegalArgumentException {

    /** @param message names the parameter and what it needs, e.g. {@code trigger needs event=<name>} */
    public MissingParameter(String message) {
        super(message);
    }
}
