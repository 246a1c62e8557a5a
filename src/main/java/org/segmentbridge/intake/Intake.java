package org.segmentbridge.intake;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.identity.PendingEvents;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.queue.EventQueue.QueuedEvent;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores validated events: drops those whose messageId was stored within the dedupe window, then publishes the rest
 * to the durable queue in one transaction. The ledger rows commit only after the queue has committed, so a failure
 * anywhere leaves neither a half-stored request nor an id marked as seen without its event.
 */
public class Intake {

    private static final Logger LOG = LoggerFactory.getLogger(Intake.class);
    private static final String BRIDGE_MARKS = "bridge";

    private final StateStore stateStore;
    private final IdentityStore identity;
    private final PendingEvents pendingEvents;
    private final MessageLedger ledger;
    private final EventQueue queue;
    private final IntakeMetrics metrics;
    private final Privacy privacy;
    private final EventBudget budget;

    Intake(StateStore stateStore, IdentityStore identity, PendingEvents pendingEvents, MessageLedger ledger, EventQueue queue,
           IntakeMetrics metrics, Privacy privacy, EventBudget budget) {
        this.stateStore = stateStore;
        this.identity = identity;
        this.pendingEvents = pendingEvents;
        this.ledger = ledger;
        this.queue = queue;
        this.metrics = metrics;
        this.privacy = privacy;
        this.budget = budget;
    }

    public record Outcome(int stored, int duplicates) {
    }

    /** Stores events from Segment (or an operator) for every destination. */
    public Outcome store(List<ObjectNode> events, String endpoint, Instant now) throws SQLException {
        return store(events, endpoint, now, (fresh, screening) -> {
            queue.publish(queued(fresh), endpoint);
            return fresh.size();
        });
    }

    /**
     * Stores what a platform reported. The events of a consent change (the identify and the track that carry it) go
     * to every destination (their {@code integrations} flag keeps them from the platform they came from); a consent
     * signal that changes nothing goes nowhere, which is what stops an opt-out from echoing between platforms;
     * anything else (engagement) goes to Segment alone, when Segment is a destination.
     */
    public Outcome storeReport(List<ObjectNode> events, String endpoint, Instant now, boolean toSegment) throws SQLException {
        return store(events, endpoint, now, (fresh, screening) -> {
            List<ObjectNode> consentChanges = fresh.stream().filter(screening::changesConsent).toList();
            List<ObjectNode> engagement = toSegment
                    ? fresh.stream().filter(event -> !screening.carriesConsent(event)).toList() : List.of();
            // Two transactions, engagement first: if the second fails the request fails and is retried whole, and
            // the engagement stored twice carries the same messageIds, which Segment drops.
            queue.publishTo(VendorFeedback.DESTINATION, queued(engagement), endpoint);
            queue.publish(queued(consentChanges), endpoint);
            return engagement.size() + consentChanges.size();
        });
    }

    /** Publishes a request's fresh events once the screening has marked them; answers how many went to a queue. */
    @FunctionalInterface
    private interface Publisher {
        int publish(List<ObjectNode> fresh, Privacy.Screening screening) throws SQLException;
    }

    private Outcome store(List<ObjectNode> received, String endpoint, Instant now, Publisher publisher) throws SQLException {
        try (EventBudget.Reservation room = budget.admit(received.size())) {
            return storeAdmitted(received, endpoint, now, publisher);
        }
    }

    private Outcome storeAdmitted(List<ObjectNode> received, String endpoint, Instant now, Publisher publisher) throws SQLException {
        for (ObjectNode event : received) {
            // context.bridge holds the bridge's own marks (a consent change, an erasure, an old key): a sender's
            // copy would make the routes act on what the bridge never decided.
            if (event.get("context") instanceof ObjectNode context) {
                context.remove(BRIDGE_MARKS);
            }
            // The endpoints check this as they validate each event; this guards the others (operators, reports).
            requireStorable(event, "");
        }
        List<ObjectNode> events = privacy.withoutErased(received, endpoint);
        List<ObjectNode> fresh = new ArrayList<>(events.size());
        Set<String> newlyKeyed = identity.observeAll(events, now);
        Privacy.Screening screening;
        int published;
        Connection transaction = stateStore.dataSource().getConnection();
        try {
            transaction.setAutoCommit(false);
            try {
                for (ObjectNode event : events) {
                    if (ledger.claim(transaction, event.get("messageId").asText(), now)) {
                        fresh.add(event);
                    }
                }
                screening = privacy.screen(transaction, fresh, now);
                published = publisher.publish(fresh, screening);
            } catch (RuntimeException | SQLException e) {
                transaction.rollback();
                throw e;
            }
            try {
                transaction.commit();
            } catch (SQLException e) {
                // The events are already durable; only their records are missing, so a resend may be stored twice.
                LOG.warn("Stored {} events but could not record their messageIds for dedupe (nor consent or erasure records): {}",
                        published, e.getMessage());
            }
        } finally {
            closeAfterward(transaction);
        }
        privacy.committed(screening);
        releaseWaitingEvents(newlyKeyed);
        Outcome outcome = new Outcome(published, events.size() - fresh.size());
        metrics.accepted(endpoint, outcome.stored());
        if (outcome.duplicates() > 0) {
            metrics.duplicates(endpoint, outcome.duplicates());
        }
        return outcome;
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

    /**
     * Once the events are on the queue the request has succeeded, whatever the database does next: a connection to a
     * database that failed meanwhile throws on close, and answering 503 then would make the sender store them twice.
     */
    private static void closeAfterward(Connection transaction) {
        try {
            transaction.close();
        } catch (SQLException e) {
            LOG.debug("Closing a state database connection failed: {}", e.getMessage());
        }
    }

    private static List<QueuedEvent> queued(List<ObjectNode> events) {
        return events.stream().map(event -> new QueuedEvent(event.get("type").asText(), event.get("messageId").asText(),
                event.toString())).toList();
    }

    /** Events held back for these persons' keys can go now; they follow the event that supplied the key. */
    private void releaseWaitingEvents(Set<String> persons) {
        for (String person : persons) {
            try {
                pendingEvents.release(person);
            } catch (RuntimeException e) {
                // The periodic sweep releases them later; the request itself has succeeded.
                LOG.warn("Could not release the events waiting for a person's key yet: {}", e.getMessage());
            }
        }
    }

    void ignored(String endpoint, String kind) {
        metrics.ignored(endpoint, kind);
    }

    void storeFailed(String endpoint) {
        metrics.storeFailed(endpoint);
    }

    void rejected(String endpoint, IntakeRejected rejection) {
        metrics.rejected(endpoint, rejection.reason());
    }

    int purgeExpiredMessageIds(Instant now) throws SQLException {
        return ledger.purgeExpired(now);
    }
}
