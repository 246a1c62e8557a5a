package org.segmentbridge.delivery;

/** A destination's route threw while handling an event. */
final class RouteFailure extends RuntimeException {

    private final String routeId;

    RouteFailure(String routeId, Throwable cause) {
        super(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), cause);
        this.routeId = routeId;
    }

    String routeId() {
        return routeId;
    }
}
