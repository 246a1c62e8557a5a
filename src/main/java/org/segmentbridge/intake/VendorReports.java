package org.segmentbridge.intake;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import org.segmentbridge.BridgeSettings;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.ConsentChanges;
import org.segmentbridge.privacy.SuppressionStore;
import org.segmentbridge.queue.IntakeLog;

/**
 * The way into {@link VendorFeedback} from outside the intake: what a vendor reports (over its own endpoint, see
 * {@link VendorIntake}, or pulled on a schedule) and an operator's consent changes. All share the recipient identity,
 * event shape, origin marker, dedupe and durable store (engagement for Segment, a consent change for every
 * platform), so whatever {@code VendorFeedback.store} does with one report it does with all.
 */
public final class VendorReports {

    /** The destination that takes the engagement platforms report, when it is one of the bridge's destinations. */
    public static final String DESTINATION = VendorFeedback.DESTINATION;

    private final VendorFeedback feedback;
    private final SuppressionStore suppressions;

    VendorReports(VendorFeedback feedback, SuppressionStore suppressions) {
        this.feedback = feedback;
        this.suppressions = suppressions;
    }

    /**
     * @param vendor   the platform as Segment's {@code integrations} object names it, e.g. {@code Emarsys}
     * @param endpoint the label the stored events carry as {@code receivedVia} and in the intake metrics
     */
    public static VendorReports create(String vendor, String endpoint, BridgeSettings settings, IdentityStore identity,
                                       IntakeLog log, MeterRegistry meters, SuppressionStore suppressions) {
        // Its own Intake over the same log: dedupe is the processor's, whoever appended.
        Intake intake = new Intake(identity, log, new IntakeMetrics(meters), EventBudget.unlimited(meters));
        return new VendorReports(new VendorFeedback(vendor, endpoint, settings, intake), suppressions);
    }

    /** False when nothing would send the events on to Segment ({@code segment} is not a destination). */
    public boolean kept() {
        return feedback.toSegment();
    }

    /**
     * The person a report is about: the identity store's user for this email, else an anonymous id derived from it.
     *
     * @param messageIds the messageId for each track event name made from this report, derived from the report
     */
    public Recipient recipient(String email, Instant timestamp, java.util.function.UnaryOperator<String> messageIds) {
        return recipient(email, Optional.empty(), timestamp, messageIds);
    }

    /** @param userId the vendor's own userId for the person, when it has one; else as {@link #recipient(String, Instant, java.util.function.UnaryOperator)} */
    public Recipient recipient(String email, Optional<String> userId, Instant timestamp,
                               java.util.function.UnaryOperator<String> messageIds) {
        return new Recipient(feedback.recipient(email, userId, timestamp, messageIds));
    }

    /**
     * The email consent the suppression store holds for this email (whoever set it, and when): a platform whose
     * report can be older than the bridge's own write to it (a pulled export) weighs its value against it.
     */
    public Optional<SuppressionStore.Consent> emailConsent(String email) {
        return suppressions.current(SuppressionStore.subject(email), ConsentChanges.EMAIL);
    }

    /** Counts a report acknowledged without any event, e.g. of a kind Segment's spec has no event for. */
    public void ignored(String kind) {
        feedback.ignored(kind);
    }

    /**
     * Appends the events in one transaction (see {@link Intake#storeReport}); the future completes once they are
     * durable. A webhook answers from it, with no thread waiting; a job with a thread to spare waits with
     * {@link #awaitStored}.
     */
    public CompletableFuture<Intake.Outcome> store(List<ObjectNode> events, Instant now) {
        return feedback.store(events, now);
    }

    /** Waits for {@link #store}'s future and throws what the store failed with, as it is. */
    public static Intake.Outcome awaitStored(CompletableFuture<Intake.Outcome> stored) {
        return IntakeLog.await(stored);
    }

    /** A deterministic messageId: {@code <vendor>-} and the sha256 of the parts, so the same record always gives the same id. */
    public static String messageId(String vendor, String... parts) {
        return vendor + "-" + VendorFeedback.sha256Hex(String.join("\n", parts));
    }

    public static final class Recipient {

        private final VendorFeedback.Recipient recipient;

        private Recipient(VendorFeedback.Recipient recipient) {
            this.recipient = recipient;
        }

        public ObjectNode track(String name, ObjectNode properties) {
            return recipient.track(name, properties);
        }

        /** An identify with the person's email and these traits besides. */
        public ObjectNode identify(java.util.Map<String, Boolean> traits) {
            ObjectNode all = recipient.traits();
            traits.forEach(all::put);
            return recipient.identify(all);
        }

        /** An identify with the person's email and these traits besides. */
        public ObjectNode identify(ObjectNode traits) {
            ObjectNode all = recipient.traits();
            all.setAll(traits);
            return recipient.identify(all);
        }
    }
}
