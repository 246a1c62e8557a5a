package org.segmentbridge.crash;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for the crash-safety tests: with the system property {@value #SETTING} set to
 * {@code <point>} or {@code <point>:<n>}, the n-th pass (the first by default) through that point halts the JVM at
 * once, without shutdown hooks or flushes, as a power cut or an OOM kill would. Unset, a pass costs one comparison.
 * With {@value #FAIL_ON} set, the processor fails on the event of that messageId, as it would on a defect.
 */
public final class CrashPoints {

    public static final String SETTING = "bridge.test.halt-at";
    /** The messageId of an event the processor is to fail on, as a defect would: read at every event, so tests can set it live. */
    public static final String FAIL_ON = "bridge.test.fail-on-message-id";

    private static final String POINT;
    private static final int PASS;
    private static final AtomicInteger PASSES = new AtomicInteger();

    static {
        String setting = System.getProperty(SETTING, "");
        int colon = setting.indexOf(':');
        POINT = colon < 0 ? setting : setting.substring(0, colon);
        PASS = colon < 0 ? 1 : Integer.parseInt(setting.substring(colon + 1));
    }

    private CrashPoints() {
    }

    /** Marks a point between two durable steps; halts here when the setting names it and this is the chosen pass. */
    public static void pass(String point) {
        if (!POINT.isEmpty() && POINT.equals(point) && PASSES.incrementAndGet() == PASS) {
            System.err.println("halting at crash point " + point + " (" + SETTING + ")");
            Runtime.getRuntime().halt(86);
        }
    }

    /** Throws for the event the setting {@value #FAIL_ON} names. */
    public static void failIfNamed(String messageId) {
        String named = System.getProperty(FAIL_ON);
        if (named != null && named.equals(messageId)) {
            throw new IllegalStateException("failing on purpose on messageId " + messageId + " (" + FAIL_ON + ")");
        }
    }
}
