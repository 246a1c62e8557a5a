package org.segmentbridge.intake;

/**
 * A request the intake refuses as a whole. Carries the HTTP status and a message naming the field (with its batch
 * index) or the setting at fault; nothing of a rejected request is stored.
 */
public class IntakeRejected extends RuntimeException {

    /** Label for the rejected-requests metric. */
    public enum Reason {
        UNAUTHORIZED(401), FORBIDDEN(403), INVALID(400), TOO_LARGE(413), UNSUPPORTED_MEDIA_TYPE(415), NOT_FOUND(404);

        final int status;

        Reason(int status) {
            this.status = status;
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;
    private final String field;
    private final Integer index;

    public IntakeRejected(Reason reason, String message) {
        this(reason, null, message);
    }

    public IntakeRejected(Reason reason, String field, String message) {
        this(reason, field, null, message);
    }

    private IntakeRejected(Reason reason, String field, Integer index, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.field = field;
        this.index = index;
    }

    /** The same rejection, attributed to the event at {@code index} of a batch. */
    IntakeRejected atIndex(int index) {
        return new IntakeRejected(reason, field, index, getMessage());
    }

    public Reason reason() {
        return reason;
    }

    public int status() {
        return reason.status;
    }

    /** The offending field as a path into the request body, e.g. {@code batch[3].userId}; null when not a field. */
    public String field() {
        return field;
    }

    /** Position of the offending event in a batch or webhook array; null for single events and whole requests. */
    public Integer index() {
        return index;
    }
}
