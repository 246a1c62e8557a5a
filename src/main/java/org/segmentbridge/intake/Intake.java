package org.segmentbridge.intake;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.identity.PendingEvents;
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

    private final StateStore stateStore;
    private final IdentityStore identity;
    private final PendingEvents pendingEvents;
    private final MessageLedger ledger;
    private final EventQueue queue;
    private final IntakeMetrics metrics;

    Intake(StateStore stateStore, IdentityStore identity, PendingEvents pendingEvents, MessageLedger ledger, EventQueue queue,
           IntakeMetrics metrics) {
        this.stateStore = stateStore;
        this.identity = identity;
        this.pendingEvents = pendingEvents;
        this.ledger = ledger;
        this.queue = queue;
        this.metrics = metrics;
    }

    public record Outcome(int stored, int duplicates) {
    }

    /** Stores the events for every destination. */
    Outcome store(List<ObjectNode> events, String endpoint, Instant now) throws SQLException {
        return store(events, endpoint, now, fresh -> queue.publish(fresh, endpoint));
    }

    /** Stores the events for one destination only, with the same dedupe and durability as {@link #store}. */
    Outcome storeFor(String destination, List<ObjectNode> events, String endpoint, Instant now) throws SQLException {
        return store(events, endpoint, now, fresh -> queue.publishTo(destination, fresh, endpoint));
    }

    private Outcome store(List<ObjectNode> events, String endpoint, Instant now, Consumer<List<QueuedEvent>> publish)
            throws SQLException {
        List<QueuedEvent> fresh = new ArrayList<>(events.size());
        Set<String> newlyKeyed = identity.observeAll(events, now);
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            try {
                for (ObjectNode event : events) {
                    String messageId = event.get("messageId").asText();
                    if (ledger.claim(transaction, messageId, now)) {
                        fresh.add(new QueuedEvent(event.get("type").asText(), messageId, event.toString()));
                    }
                }
                publish.accept(fresh);
            } catch (RuntimeException | SQLException e) {
                transaction.rollback();
                throw e;
            }
            try {
                transaction.commit();
            } catch (SQLException e) {
                // The events are already durable; only the dedupe record is missing, so a resend may be stored twice.
                LOG.warn("Stored {} events but could not record their messageIds for dedupe: {}", fresh.size(), e.getMessage());
            }
        }
        releaseWaitingEvents(newlyKeyed);
        Outcome outcome = new Outcome(fresh.size(), events.size() - fresh.size());
        metrics.accepted(endpoint, outcome.stored());
        if (outcome.duplicates() > 0) {
            metrics.duplicates(endpoint, outcome.duplicates());
        }
        return outcome;
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

    void rejected(String endpoint, IntakeRejected rejection) {
        metrics.rejected(endpoint, rejection.reason());
    }

    int purgeExpiredMessageIds(Instant now) throws SQLException {
        return ledger.purgeExpired(now);
    }
}
