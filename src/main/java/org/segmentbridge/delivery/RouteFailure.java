package org.segmentbridge.delivery;

/** A destination's route threw while handling an event. */
final class RouteFailure extends RuntimeException {

    /** A failed route's dead letter names {@code route:<route id>} where other dead letters name their action. */
    private static final String DEAD_LETTER_PREFIX = "route:";

    private final String routeId;

    RouteFailure(String routeId, Throwable cause) {
        super(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), cause);
        this.routeId = routeId;
    }

    String routeId() {
        return routeId;
    }

    /** What the route's dead letter names in place of an action. */
    String deadLetterAction() {
        return DEAD_LETTER_PREFIX + routeId;
    }

    /** The route a dead letter's action names, or null when it names an action. */
    static String routeNamedBy(String deadLetterAction) {
        return deadLetterAction != null && deadLetterAction.startsWith(DEAD_LETTER_PREFIX)
                ? deadLetterAction.substring(DEAD_LETTER_PREFIX.length())
                : null;
    }
}
