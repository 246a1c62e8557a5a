package org.segmentbridge.observe;

import java.util.Map;

import org.slf4j.MDC;

/**
 * What the log lines written meanwhile are about, as SLF4J MDC entries (plain text lines leave them out; JSON lines
 * carry them under {@code mdc}): ids and names only, never a person's data or an event's body. Opened with
 * try-with-resources; closing puts back what the thread had before, so contexts nest (a destination, then one of
 * its routes, then one action).
 */
public final class LogContext implements AutoCloseable {

    /** The event's Segment {@code messageId}. */
    public static final String MESSAGE_ID = "messageId";
    /** The destination whose queue the event was read from. */
    public static final String DESTINATION = "destination";
    /** The id of the route (from: events:<destination>) that prepared the call. */
    public static final String ROUTE = "route";
    /** The vendor action ({@code deliver:<destination>:<action>}). */
    public static final String ACTION = "action";
    /** The intake endpoint a request or an event came in on. */
    public static final String ENDPOINT = "endpoint";

    private final Map<String, String> before;

    private LogContext(Map<String, String> before) {
        this.before = before;
    }

    /**
     * Sets {@code key, value, key, value, ...}; a null or empty value leaves its key as it was.
     *
     * @throws IllegalArgumentException when the arguments are not pairs
     */
    public static LogContext with(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("LogContext.with takes key, value pairs");
        }
        LogContext context = new LogContext(MDC.getCopyOfContextMap());
        for (int index = 0; index < keysAndValues.length; index += 2) {
            String value = keysAndValues[index + 1];
            if (value != null && !value.isEmpty()) {
                MDC.put(keysAndValues[index], value);
            }
        }
        return context;
    }

    @Override
    public void close() {
        if (before == null || before.isEmpty()) {
            MDC.clear();
        } else {
            MDC.setContextMap(before);
        }
    }
}
