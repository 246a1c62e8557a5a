package org.segmentbridge.intake;

/** A request refused for lack of room rather than for what it holds: answered 503 with {@code Retry-After}. */
final class IntakeOverloaded extends RuntimeException {

    private final int retryAfterSeconds;

    IntakeOverloaded(String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
