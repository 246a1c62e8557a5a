package org.segmentbridge.delivery;

import java.time.Duration;
import java.util.Collections;
import java.util.List;

/** What a vendor's answer means for one item. */
public sealed interface Verdict {

    /** The vendor took the item. */
    record Delivered() implements Verdict {
    }

    /**
     * The vendor will never take the item and nothing is wrong with it (a user erased under GDPR): it is done,
     * counted as skipped with the reason, and not dead-lettered.
     */
    record Skipped(String reason) implements Verdict {
    }

    /** A passing failure: try again after {@code notBefore} at the earliest (zero: the backoff decides). */
    record Retry(Duration notBefore, String reason) implements Verdict {
    }

    /** A permanent failure: the item goes to the dead letters with the vendor's status, code and message. */
    record Failed(int status, String code, String message) implements Verdict {
    }

    /**
     * The vendor refused the whole batch because of some item in it: send the halves separately so the good items
     * still go. A batch of one is then a {@link Failed} with this status and message.
     */
    record SplitBatch(int status, String message) implements Verdict {
    }

    Delivered DELIVERED = new Delivered();

    static List<Verdict> all(int count, Verdict verdict) {
        return Collections.nCopies(count, verdict);
    }

    /**
     * The verdicts an HTTP status alone gives, for answers without per-item detail: 2xx delivered; 408, 429 and 5xx
     * retried (no sooner than {@code Retry-After}); any other status fails a single item, and splits a batch so the
     * items the vendor would take still go.
     */
    static List<Verdict> byStatus(VendorAnswer answer, int count) {
        if (answer.isSuccess()) {
            return all(count, DELIVERED);
        }
        String message = "HTTP " + answer.status() + describe(answer);
        if (answer.isRetryable()) {
            return all(count, new Retry(answer.retryAfter(java.time.Instant.now()).orElse(Duration.ZERO), message));
        }
        return all(count, count > 1 ? new SplitBatch(answer.status(), message) : new Failed(answer.status(), null, message));
    }

    private static String describe(VendorAnswer answer) {
        String body = answer.bodyText().strip();
        if (body.isEmpty()) {
            return "";
        }
        return ": " + (body.length() > 500 ? body.substring(0, 500) + "…" : body);
    }
}
