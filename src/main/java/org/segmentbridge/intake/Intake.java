package org.segmentbridge.intake;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.crash.CrashPoints;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.queue.IntakeLog;

/**
 * Appends validated events to the intake log, in one transaction, and nothing else: deduplication, erasure and
 * consent screening and identity linking happen behind it, in the processor, so a request's answer waits for one
 * disk sync and never for the state database.
 */
public class Intake {

    private static final String BRIDGE_MARKS = "bridge";

    private final IdentityStore identity;
    private final IntakeLog log;
    private final IntakeMetrics metrics;
    private final EventBudget budget;

    Intake(IdentityStore identity, IntakeLog log, IntakeMetrics metrics, EventBudget budget) {
        this.identity = identity;
        this.log = log;
        this.metrics = metrics;
        this.budget = budget;
    }

    /** How many events a request appended; a resent messageId is appended too, and dropped by the processor. */
    public record Outcome(int appended) {
    }

    /**
     * Appends events from Segment (or an operator), for every destination. The future completes once they are durable
     * (on the log's thread); a request that cannot be kept is refused before, by the exception thrown here.
     */
    public CompletableFuture<Outcome> store(List<ObjectNode> events, String endpoint, Instant now) {
        return append(events, endpoint, now, IntakeLog.Kind.EVENT);
    }

    /**
     * Appends what a platform reported; the future completes once it is durable (on the log's thread). The processor sends the events of a consent
     * change (the identify and the track that carry it) to every destination (their {@code integrations} flag keeps
     * them from the platform they came from); a consent signal that changes nothing nowhere, which is what stops an
     * opt-out from echoing between platforms; anything else (engagement) to Segment alone, when Segment is a
     * destination.
     */
    public CompletableFuture<Outcome> storeReport(List<ObjectNode> events, String endpoint, Instant now) {
        return append(events, endpoint, now, IntakeLog.Kind.REPORT);
    }

    private CompletableFuture<Outcome> append(List<ObjectNode> received, String endpoint, Instant now, IntakeLog.Kind kind) {
        EventBudget.Reservation room = budget.admit(received.size());
        CompletableFuture<Void> stored;
        try {
            for (ObjectNode event : received) {
                // context.bridge holds the bridge's own marks (a consent change, an erasure, an old key): a sender's
                // copy would make the routes act on what the bridge never decided.
                if (event.get("context") instanceof ObjectNode context) {
                    context.remove(BRIDGE_MARKS);
                }
                // The endpoints check this as they validate each event; this guards the others (operators, reports).
                requireStorable(event, "");
            }
            stored = log.append(received.stream().map(IntakeLog.Entry::of).toList(), endpoint, kind, now);
        } catch (RuntimeException e) {
            room.close();
            throw e;
        }
        // The count only: the parsed events are garbage once serialized, and under load the commit is many young
        // collections away, which would copy a request's trees from one survivor space to the next meanwhile.
        int appended = received.size();
        return stored.handle((ignored, failure) -> {
            room.close();
            if (failure != null) {
                throw failure instanceof CompletionException wrapped ? wrapped : new CompletionException(failure);
            }
            CrashPoints.pass("intake.appended");
            metrics.accepted(endpoint, appended);
            return new Outcome(appended);
        });
    }

    /**
     * Refuses an event whose ids or person's key the identity store cannot keep (too long, or holding NUL): before
     * anything is written, rather than failing the store's transaction with a 503 that no retry could cure.
     *
     * @param path how the body names this event, e.g. "" for a single event or "batch[3]." in a batch
     */
    void requireStorable(ObjectNode event, String path) {
        try {
            identity.requireStorable(event);
        } catch (IdentityStore.UnstorableIdentifier unstorable) {
            throw new IntakeRejected(IntakeRejected.Reason.INVALID, path + unstorable.field(), path + unstorable.getMessage());
        }
    }

    void ignored(String endpoint, String kind) {
        metrics.ignored(endpoint, kind);
    }

    /** An endpoint that appends here is served (its counters start at zero). */
    void served(String endpoint) {
        metrics.served(endpoint);
    }

    void storeFailed(String endpoint) {
        metrics.storeFailed(endpoint);
    }

    void rejected(String endpoint, IntakeRejected rejection) {
        metrics.rejected(endpoint, rejection.reason());
    }
}
