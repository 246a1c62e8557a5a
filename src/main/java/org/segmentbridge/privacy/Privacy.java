package org.segmentbridge.privacy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.SuppressionStore.Consent;
import org.segmentbridge.privacy.SuppressionStore.State;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the intake does for consent and erasure, inside the transaction that queues a request's events:
 * <ul>
 *   <li>events of erased persons are dropped before anything about them is stored again;</li>
 *   <li>each consent signal is compared with the suppression store and marked on the event
 *       ({@code context.bridge.consent}): only a signal that changes the state is marked {@code changed}, and only
 *       such events make the opt-out routes call a vendor. A repeat, or an echo of our own change coming back
 *       through another platform, changes nothing and goes nowhere: that is what stops ping-pong loops;</li>
 *   <li>an erasure request (Segment's {@code delete}, a {@code User Deleted} track or the admin endpoint) carries
 *       the person's key to the delete routes, removes the person from the bridge's own stores, leaves hashed
 *       tombstones and opens the audit trail.</li>
 * </ul>
 */
public final class Privacy {

    /** The only channel the shipped signals speak of; the store keeps a channel per row for those to come. */
    public static final String EMAIL = "email";
    /** Where {@code context.bridge} marks go. */
    static final String CONSENT_MARK = "consent";
    static final String ERASURE_MARK = "erasure";
    /** The origins other than Segment itself; a vendor-made event names its origin in {@code context.integration}. */
    public static final Set<String> OTHER_ORIGINS = Set.of("emarsys", "sailthru", "iterable", "operator");

    private static final Logger LOG = LoggerFactory.getLogger(Privacy.class);

    private final StateStore stateStore;
    private final IdentityStore identity;
    private final SuppressionStore suppressions;
    private final PrivacyAudit audit;
    private final List<ErasesPeople> stores;
    private final String[] resolvedKeyField;
    private final MeterRegistry meters;

    /**
     * @param stores           every store that keeps rows about persons, in the order the audit log names them
     * @param resolvedKeyField dotted path where an erasure request gets its person's key when it lacks one
     */
    public Privacy(StateStore stateStore, IdentityStore identity, SuppressionStore suppressions, PrivacyAudit audit,
                   List<ErasesPeople> stores, String resolvedKeyField, MeterRegistry meters) {
        this.stateStore = stateStore;
        this.identity = identity;
        this.suppressions = suppressions;
        this.audit = audit;
        this.stores = List.copyOf(stores);
        this.resolvedKeyField = resolvedKeyField.split("\\.");
        this.meters = meters;
    }

    public SuppressionStore suppressions() {
        return suppressions;
    }

    public PrivacyAudit audit() {
        return audit;
    }

    // ---- before the transaction ---------------------------------------------------------------------------------

    /**
     * The events that may be stored: those of erased persons are dropped (and counted), except erasure requests,
     * which may always be repeated.
     */
    public List<ObjectNode> withoutErased(List<ObjectNode> events, String endpoint) {
        if (!suppressions.anyErased()) {
            return events;
        }
        List<ObjectNode> kept = new ArrayList<>(events.size());
        for (ObjectNode event : events) {
            if (aboutErased(event)) {
                Counter.builder("bridge.privacy.events.blocked")
                        .description("Events dropped because their person was erased (tombstoned)")
                        .tag("endpoint", endpoint).register(meters).increment();
                LOG.debug("Dropped an event on {} for an erased person", endpoint);
                continue;
            }
            kept.add(event);
        }
        return kept;
    }

    // ---- inside the transaction ---------------------------------------------------------------------------------

    /** What {@link #screen} found in one request's fresh events. */
    public static final class Screening {
        /** The consent subject of each event that carries a signal (by identity: events are compared as objects). */
        private final Map<ObjectNode, String> consentSubjects = new IdentityHashMap<>();
        private final Set<String> changedSubjects = new LinkedHashSet<>();
        private final Set<String> tombstones = new LinkedHashSet<>();
        private int erasures;

        /** True for an event that carries a consent signal, changed or not. */
        public boolean carriesConsent(ObjectNode event) {
            return consentSubjects.containsKey(event);
        }

        /**
         * True for an event that carries a consent signal of a person whose consent this screening changed: the
         * change and its companions (a report's identify and track) travel together.
         */
        public boolean changesConsent(ObjectNode event) {
            String subject = consentSubjects.get(event);
            return subject != null && changedSubjects.contains(subject);
        }
    }

    /**
     * Marks consent signals and carries out the bridge's part of erasures, within the intake's transaction: if
     * queueing fails, none of it happened.
     */
    public Screening screen(Connection transaction, List<ObjectNode> fresh, Instant now) throws SQLException {
        Screening screening = new Screening();
        for (ObjectNode event : fresh) {
            if (isErasure(event)) {
                erase(transaction, event, now, screening);
                continue;
            }
            Optional<ConsentSignal> signal = ConsentSignal.in(event);
            if (signal.isPresent()) {
                String subject = subjectOf(event);
                screening.consentSubjects.put(event, subject);
                if (weigh(transaction, event, subject, signal.get(), now)) {
                    screening.changedSubjects.add(subject);
                }
            }
        }
        return screening;
    }

    /** One event screened as the intake would, in a transaction of its own: for {@code try}, which has no intake. */
    public void screenAlone(ObjectNode event, Instant now) throws SQLException {
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            Screening screening = screen(transaction, List.of(event), now);
            transaction.commit();
            committed(screening);
        }
    }

    /** After the transaction committed: what the screening changed is now true for the rest of the bridge. */
    public void committed(Screening screening) {
        suppressions.remember(screening.tombstones);
        if (screening.erasures > 0) {
            // The erasure deleted identity rows directly.
            identity.forgetRemembered();
            Counter.builder("bridge.privacy.erasures").description("Erasure requests taken in")
                    .register(meters).increment(screening.erasures);
        }
    }

    private boolean weigh(Connection transaction, ObjectNode event, String subject, ConsentSignal signal, Instant now)
            throws SQLException {
        String origin = originOf(event);
        Instant at = timestampOf(event, now);
        Optional<Consent> current = suppressions.current(transaction, subject, signal.channel());
        Optional<String> unchangedBecause = unchangedBecause(signal, current, at);
        ObjectNode mark = bridgeMarks(event).putObject(CONSENT_MARK)
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

    private void erase(Connection transaction, ObjectNode event, Instant now, Screening screening) throws SQLException {
        String userId = text(event, "userId");
        String anonymousId = text(event, "anonymousId");
        Optional<String> key = identity.keyIn(event);
        Optional<IdentityStore.Person> person = identity.find(userId, anonymousId);
        if (key.isEmpty()) {
            key = person.flatMap(IdentityStore.Person::primaryKey);
            key.ifPresent(known -> writeKey(event, known));
        }
        String requestId = event.path("messageId").asText();
        String subjectHash = key.map(known -> hash("key", known)).orElseGet(() -> hash("user", userId == null ? anonymousId : userId));
        bridgeMarks(event).putObject(ERASURE_MARK).put("request", requestId).put("subject", subjectHash);

        PersonKeys stored = identity.everythingAbout(transaction,
                PersonKeys.of(person.map(IdentityStore.Person::id), key, userId, anonymousId));
        Set<String> hashes = identifierHashes(stored);
        hashes.addAll(identifierHashes(event));
        // Each store removes its own rows about the person, in this transaction.
        List<String> counts = new ArrayList<>(stores.size());
        for (ErasesPeople store : stores) {
            counts.add(store.erase(transaction, stored));
        }
        String removed = String.join("; ", counts);
        suppressions.tombstone(transaction, hashes, requestId, now);
        audit.add(transaction, now, requestId, subjectHash, "bridge", "erase-stored-data", PrivacyAudit.Result.DONE,
                removed + "; tombstones: " + hashes.size());
        screening.tombstones.addAll(hashes);
        screening.erasures++;
        LOG.info("Erasure {}: removed the person from the bridge's stores ({}); the platforms follow", requestId, removed);
    }

    // ---- reading events -----------------------------------------------------------------------------------------

    /** Segment's delete notification, a {@code User Deleted} track or an operator's request. */
    public static boolean isErasure(JsonNode event) {
        String type = event.path("type").asText("");
        return "delete".equals(type) || ("track".equals(type) && "User Deleted".equals(event.path("event").asText()));
    }

    /** The erasure request an event belongs to, when it is one that passed the intake. */
    static Optional<JsonNode> erasureMark(JsonNode event) {
        JsonNode mark = event.path("context").path("bridge").path(ERASURE_MARK);
        return mark.isObject() ? Optional.of(mark) : Optional.empty();
    }

    /**
     * The consent subject: the person's primary key (their email) when the event or the identity store knows it,
     * else their userId or anonymousId, prefixed.
     */
    String subjectOf(JsonNode event) {
        Optional<String> key = identity.keyIn(event);
        String userId = text(event, "userId");
        String anonymousId = text(event, "anonymousId");
        if (key.isEmpty()) {
            key = identity.find(userId, anonymousId).flatMap(IdentityStore.Person::primaryKey);
        }
        if (key.isPresent()) {
            return SuppressionStore.subject(key.get());
        }
        return userId != null ? "user:" + userId : "anonymous:" + anonymousId;
    }

    /** The person's primary key as the event carries it, or null. */
    String keyOf(JsonNode event) {
        return identity.keyIn(event).orElse(null);
    }

    /** True when the event is about a person who was erased (and is not itself an erasure request). */
    boolean aboutErased(JsonNode event) {
        return suppressions.anyErased() && erasureMark(event).isEmpty() && !isErasure(event)
                && suppressions.erased(identifierHashes(event));
    }

    /** The hashes under which an event's person would be tombstoned. */
    Set<String> identifierHashes(JsonNode event) {
        Set<String> hashes = new LinkedHashSet<>();
        identity.keyIn(event).ifPresent(key -> hashes.add(hash("key", key)));
        Optional.ofNullable(text(event, "userId")).ifPresent(userId -> hashes.add(hash("user", userId)));
        Optional.ofNullable(text(event, "anonymousId")).ifPresent(anonymousId -> hashes.add(hash("anonymous", anonymousId)));
        return hashes;
    }

    /** The hashes under which a stored person is tombstoned. */
    private static Set<String> identifierHashes(PersonKeys person) {
        Set<String> hashes = new LinkedHashSet<>();
        person.keys().forEach(key -> hashes.add(hash("key", key)));
        person.userIds().forEach(userId -> hashes.add(hash("user", userId)));
        person.anonymousIds().forEach(anonymousId -> hashes.add(hash("anonymous", anonymousId)));
        return hashes;
    }

    static String originOf(JsonNode event) {
        String named = event.path("context").path("integration").path("name").asText("").toLowerCase(Locale.ROOT);
        return OTHER_ORIGINS.contains(named) ? named : "segment";
    }

    /**
     * How a person is named where personal data may not go (tombstones, the audit log): a SHA-256 of the kind of
     * identifier and its value, keys compared ignoring case.
     */
    public static String hash(String kind, String value) {
        String normalized = "key".equals(kind) ? value.trim().toLowerCase(Locale.ROOT) : value.trim();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((kind + ":" + normalized).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    private static Instant timestampOf(JsonNode event, Instant now) {
        String timestamp = event.path("timestamp").asText("");
        try {
            return timestamp.isBlank() ? now : java.time.OffsetDateTime.parse(timestamp).toInstant();
        } catch (DateTimeException e) {
            return now;
        }
    }

    private static ObjectNode bridgeMarks(ObjectNode event) {
        return event.with("context").with("bridge");
    }

    private void writeKey(ObjectNode event, String key) {
        ObjectNode parent = event;
        for (int i = 0; i < resolvedKeyField.length - 1; i++) {
            parent = parent.with(resolvedKeyField[i]);
        }
        parent.put(resolvedKeyField[resolvedKeyField.length - 1], key);
    }

    static String text(JsonNode event, String field) {
        JsonNode value = event.get(field);
        return value == null || !value.isValueNode() || value.asText().isBlank() ? null : value.asText().trim();
    }
}
