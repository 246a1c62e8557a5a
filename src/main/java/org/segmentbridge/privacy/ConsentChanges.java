package org.segmentbridge.privacy;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.SuppressionStore.Consent;
import org.segmentbridge.privacy.SuppressionStore.State;

/**
 * Consent: each consent signal is compared with the suppression store and marked on its event
 * ({@code context.bridge.consent}). Only a signal that changes the state is recorded and marked {@code changed}, and
 * only such events make the opt-out routes call a vendor. A repeat, or an echo of our own change coming back through
 * another platform, changes nothing and goes nowhere: that is what stops ping-pong loops.
 */
public final class ConsentChanges {

    /** The only channel the shipped signals speak of; the store keeps a channel per row for those to come. */
    public static final String EMAIL = "email";
    /** The tracks that change consent explicitly (Segment's Email spec). */
    public static final String UNSUBSCRIBED_EVENT = "Unsubscribed";
    public static final String SUBSCRIBED_EVENT = "Subscribed";
    /** Where in {@code context.bridge} the mark goes. */
    static final String MARK = "consent";

    private final IdentityStore identity;
    private final SuppressionStore suppressions;
    private final MeterRegistry meters;
    private final Set<String> otherOrigins;

    /**
     * @param otherOrigins the origins other than Segment itself (each vendor's name, and the operator's): a report
     *                     names its origin in {@code context.integration.name}
     */
    public ConsentChanges(IdentityStore identity, SuppressionStore suppressions, MeterRegistry meters, Set<String> otherOrigins) {
        this.identity = identity;
        this.suppressions = suppressions;
        this.meters = meters;
        this.otherOrigins = Set.copyOf(otherOrigins);
    }

    public SuppressionStore suppressions() {
        return suppressions;
    }

    /**
     * Marks the event's signal and, when it changes the subject's consent, records the change within the intake's
     * transaction.
     *
     * @return true when the signal changed the subject's consent
     */
    boolean weigh(Connection transaction, ObjectNode event, String subject, ConsentSignal signal, Instant now)
            throws SQLException {
        String origin = originOf(event);
        Instant at = timestampOf(event, now);
        Optional<Consent> current = suppressions.currentForChange(transaction, subject, signal.channel());
        Optional<String> unchangedBecause = unchangedBecause(signal, current, at);
        ObjectNode mark = EventFields.bridgeMarks(event).putObject(MARK)
                .put("channel", signal.channel())
                .put("state", signal.state().column())
                .put("origin", origin)
                .put("changed", unchangedBecause.isEmpty());
        if (unchangedBecause.isPresent()) {
            mark.put("unchanged", unchangedBecause.get());
            Counter.builder("bridge.consent.unchanged").description("Consent signals that left the state as it was")
                    .tag("origin", origin).register(meters).increment();
            return false;
        }
        suppressions.record(transaction, subject, signal.channel(), signal.state(), origin, at, event.path("messageId").asText(null));
        Counter.builder("bridge.consent.changes").description("Consent changes recorded, by origin and new state")
                .tag("origin", origin).tag("state", signal.state().column()).register(meters).increment();
        return true;
    }

    /**
     * Why a signal changes nothing, if it does not. Opt-outs always count. Re-subscription needs an explicit consent
     * event (a {@code Subscribed} track) newer than the opt-out it lifts: an identify that still carries an old
     * {@code unsubscribed: false} never re-subscribes anyone.
     */
    private static Optional<String> unchangedBecause(ConsentSignal signal, Optional<Consent> current, Instant at) {
        if (current.isPresent() && current.get().state() == signal.state()) {
            return Optional.of("already " + signal.state().column() + " (by " + current.get().origin() + ")");
        }
        if (signal.state() == State.SUBSCRIBED) {
            if (!signal.explicit()) {
                return Optional.of("a trait never re-subscribes; only an explicit Subscribed event does");
            }
            // By the millisecond: the database keeps fewer digits than Instant.now() has, so an opt-in stamped in
            // the same instant as the opt-out could otherwise read back as older than it.
            if (current.isPresent() && at.truncatedTo(ChronoUnit.MILLIS).isBefore(current.get().changedAt().truncatedTo(ChronoUnit.MILLIS))) {
                return Optional.of("older than the opt-out it would lift");
            }
        }
        return Optional.empty();
    }

    /**
     * The consent subject: the person's primary key (their email) when the event or the identity store knows it,
     * else their userId or anonymousId, prefixed.
     */
    String subjectOf(JsonNode event) {
        Optional<String> key = identity.keyIn(event);
        String userId = EventFields.text(event, "userId");
        String anonymousId = EventFields.text(event, "anonymousId");
        if (key.isEmpty()) {
            key = identity.find(userId, anonymousId).flatMap(IdentityStore.Person::primaryKey);
        }
        return key.isPresent() ? SuppressionStore.subject(key.get()) : SuppressionStore.subject(userId, anonymousId);
    }

    private String originOf(JsonNode event) {
        String named = event.path("context").path("integration").path("name").asText("").toLowerCase(Locale.ROOT);
        return otherOrigins.contains(named) ? named : "segment";
    }

    private static Instant timestampOf(JsonNode event, Instant now) {
        String timestamp = event.path("timestamp").asText("");
        try {
            return timestamp.isBlank() ? now : OffsetDateTime.parse(timestamp).toInstant();
        } catch (DateTimeException e) {
            return now;
        }
    }
}
