package org.segmentbridge.privacy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.state.StateStore;

/**
 * What the intake does for privacy, inside the transaction that queues a request's events: events of erased persons
 * are dropped before anything about them is stored again; then each fresh event that is an erasure request goes to
 * {@link Erasures}, and each that carries a consent signal to {@link ConsentChanges}. If queueing fails, none of it
 * happened.
 */
public final class Privacy {

    private final StateStore stateStore;
    private final ConsentChanges consent;
    private final Erasures erasures;

    public Privacy(StateStore stateStore, ConsentChanges consent, Erasures erasures) {
        this.stateStore = stateStore;
        this.consent = consent;
        this.erasures = erasures;
    }

    /** Consent alone, for the send guard and the admin endpoints. */
    public ConsentChanges consent() {
        return consent;
    }

    /** Erasure alone, for the erasure audit and the admin endpoints. */
    public Erasures erasures() {
        return erasures;
    }

    // ---- before the transaction ---------------------------------------------------------------------------------

    /**
     * The events that may be stored: those of erased persons are dropped (and counted), except erasure requests,
     * which may always be repeated.
     */
    public List<ObjectNode> withoutErased(List<ObjectNode> events, String endpoint) {
        return erasures.withoutErased(events, endpoint);
    }

    /** Counts an event dropped for its erased person that {@link #withoutErased} could not see (see {@link Screening}). */
    public void countErasedDrop(String endpoint) {
        erasures.countBlocked(endpoint);
    }

    /** The hashes an erasure of the event's person tombstones: what a row about the person is filed under. */
    public Set<String> identifierHashes(ObjectNode event) {
        return erasures.identifierHashes(event);
    }

    // ---- inside the transaction ---------------------------------------------------------------------------------

    /** What {@link #screen} found in a batch of fresh events. */
    public static final class Screening {
        /**
         * For each event that carries a signal (by identity: events are compared as objects), its consent subject
         * within the record it came in with ({@link Privacy#companionsKey}).
         */
        private final Map<ObjectNode, String> companionsKeys = new IdentityHashMap<>();
        /** The consent subjects that changed, each within the record whose signal changed it. */
        private final Set<String> changedCompanionsKeys = new LinkedHashSet<>();
        /** Each consent change recorded (subject and channel), for the send guard's memory once committed. */
        private final List<String> recordedConsents = new java.util.ArrayList<>();
        private final Set<String> tombstones = new LinkedHashSet<>();
        /** Events about a person an erasure earlier in the batch erased (by identity). */
        private final Set<ObjectNode> erasedEarlier = Collections.newSetFromMap(new IdentityHashMap<>());
        private int erasures;

        /**
         * True for an event about a person an erasure earlier in the same batch erased: it goes nowhere, as it would
         * have in a later batch, where the committed tombstones stop it before the screening.
         */
        public boolean followsErasureOfItsPerson(ObjectNode event) {
            return erasedEarlier.contains(event);
        }

        /** The identifier hashes of the persons this screening erased (its tombstones, not yet committed). */
        public Set<String> erasedIdentifierHashes() {
            return Collections.unmodifiableSet(tombstones);
        }

        /** True for an event that carries a consent signal, changed or not. */
        public boolean carriesConsent(ObjectNode event) {
            return companionsKeys.containsKey(event);
        }

        /**
         * True for an event that carries a consent signal of a person whose consent this screening changed with a
         * signal of the same record: the change and its companions (a report's identify and track) travel together.
         * Another report of the same change in the same batch changed nothing, and stays behind.
         */
        public boolean changesConsent(ObjectNode event) {
            String companions = companionsKeys.get(event);
            return companions != null && changedCompanionsKeys.contains(companions);
        }
    }

    /**
     * Marks consent signals and carries out the bridge's part of erasures, within the intake's transaction: if
     * queueing fails, none of it happened.
     *
     * @param recordOf the record each event came in with (one request, one vendor's report): what its companions share
     */
    public Screening screen(Connection transaction, List<ObjectNode> fresh, Function<ObjectNode, String> recordOf, Instant now)
            throws SQLException {
        Screening screening = new Screening();
        if (fresh.stream().anyMatch(Erasures::isErasure)) {
            // Before any consent row is touched: a batch with an erasure waits for other bridges' erasures first.
            erasures.queueBehindOtherErasures(transaction);
        }
        for (ObjectNode event : fresh) {
            if (Erasures.isErasure(event)) {
                screening.tombstones.addAll(erasures.erase(transaction, event, now));
                screening.erasures++;
                continue;
            }
            if (erasures.aboutAnyOf(event, screening.tombstones)) {
                // Nothing about the erased person is recorded again, not even their consent.
                screening.erasedEarlier.add(event);
                continue;
            }
            Optional<ConsentSignal> signal = ConsentSignal.in(event);
            if (signal.isPresent()) {
                String subject = consent.subjectOf(event);
                String companions = companionsKey(recordOf.apply(event), subject);
                screening.companionsKeys.put(event, companions);
                if (consent.weigh(transaction, event, subject, signal.get(), now)) {
                    screening.changedCompanionsKeys.add(companions);
                    screening.recordedConsents.add(SuppressionStore.consentKey(subject, signal.get().channel()));
                }
            }
        }
        return screening;
    }

    /** The signals of one subject in one record: a change travels with the others of its key. */
    private static String companionsKey(String record, String subject) {
        return record + "\n" + subject;
    }

    /** One event screened as the intake would, in a transaction of its own: for {@code try}, which has no intake. */
    public void screenAlone(ObjectNode event, Instant now) throws SQLException {
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            Screening screening = screen(transaction, List.of(event), alone -> "", now);
            transaction.commit();
            committed(screening);
        }
    }

    /** After the transaction committed: what the screening changed is now true for the rest of the bridge. */
    public void committed(Screening screening) {
        consent.suppressions().settled(screening.recordedConsents);
        erasures.committed(screening.tombstones, screening.erasures);
    }
}
