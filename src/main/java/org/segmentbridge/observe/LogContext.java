package org.segmentbridge.observe;

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

    /** The keys this context set, and what each held before (null: nothing), in the order they were set. */
    private final String[] keys;
    private final String[] before;
    private final int set;

    private LogContext(String[] keys, String[] before, int set) {
        this.keys = keys;
        this.before = before;
        this.set = set;
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
        // Only the keys set here are remembered and put back: a copy of the whole map per context was 4 % of what
        // delivery allocated, with a destination, an event, a route and an action nested for every event.
        String[] keys = new String[keysAndValues.length / 2];
        String[] before = new String[keys.length];
        int set = 0;
        for (int index = 0; index < keysAndValues.length; index += 2) {
            String value = keysAndValues[index + 1];
            if (value != null && !value.isEmpty()) {
                keys[set] = keysAndValues[index];
                before[set] = MDC.get(keys[set]);
                MDC.put(keys[set], value);
                set++;
            }
        }
        return new LogContext(keys, before, set);
    }

    /** Puts back what the keys it set held before, last set first (a key named twice gets its first value back). */
    @Override
    public void close() {
        for (int index = set - 1; index >= 0; index--) {
            if (before[index] == null) {
                MDC.remove(keys[index]);
            } else {
                MDC.put(keys[index], before[index]);
            }
        }
    }
}
