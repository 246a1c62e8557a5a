package org.segmentbridge.delivery;

/**
 * A request could not be built for a passing reason (a vendor lookup it needs timed out or failed with a 5xx):
 * the items are retried like a failed send, not dead-lettered.
 */
public class TemporaryFailure extends RuntimeException {

    public TemporaryFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
