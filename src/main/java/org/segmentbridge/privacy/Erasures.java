package org.segmentbridge.privacy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasure: an erasure request (Segment's {@code delete}, a {@code User Deleted} track or the admin endpoint) carries
 * the person's key to the delete routes, has every store of the bridge's own remove the person (each its own rows,
 * through {@link ErasesPeople}), leaves hashed tombstones and opens the audit trail. Events of erased persons are
 * kept out from then on.
 */
public final class Erasures {

    /** Where in {@code context.bridge} the mark goes. */
    public static final String MARK = "erasure";

    private static final Logger LOG = LoggerFactory.getLogger(Erasures.class);

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
    public Erasures(IdentityStore identity, SuppressionStore suppressions, PrivacyAudit audit, List<ErasesPeople> stores,
                    String resolvedKeyField, MeterRegistry meters) {
        this.identity = identity;
        this.suppressions = suppressions;
        this.audit = audit;
        this.stores = List.copyOf(stores);
        this.resolvedKeyField = resolvedKeyField.split("\\.");
        this.meters = meters;
    }

    public PrivacyAudit audit() {
        return audit;
    }

    /**
     * The events that may be stored: those of erased persons are dropped (and counted), except erasure requests,
     * which may always be repeated.
     */
    List<ObjectNode> withoutErased(List<ObjectNode> events, String endpoint) {
        if (!suppressions.anyErased()) {
            return events;
        }
        List<ObjectNode> kept = new ArrayList<>(events.size());
        for (ObjectNode event : events) {
            if (aboutErased(event)) {
                countBlocked(endpoint);
                continue;
            }
            kept.add(event);
        }
        return kept;
    }

    void countBlocked(String endpoint) {
        Counter.builder("bridge.privacy.events.blocked")
                .description("Events dropped because their person was erased (tombstoned)")
                .tag("endpoint", endpoint).register(meters).increment();
        LOG.debug("Dropped an event on {} for an erased person", endpoint);
    }

    /**
     * The bridge's part of one erasure request, within the intake's transaction: the request is marked, the person
     * removed from every store, tombstoned and audited.
     *
     * @return the tombstones written, to {@link #committed} once the transaction has committed
     */
    /**
     * The subject an erasure request is audited under, as the processor will find it: the person's key when the event
     * or the identity store knows it, else the user. An operator's request is answered with it before it is processed.
     */
    public String subjectOf(ObjectNode event) {
        String userId = EventFields.text(event, "userId");
        String anonymousId = EventFields.text(event, "anonymousId");
        Optional<String> key = identity.keyIn(event)
                .or(() -> identity.find(userId, anonymousId).flatMap(IdentityStore.Person::primaryKey));
        return subjectHash(key, userId, anonymousId);
    }

    private static String subjectHash(Optional<String> key, String userId, String anonymousId) {
        return key.map(known -> hash("key", known)).orElseGet(() -> hash("user", userId == null ? anonymousId : userId));
    }

    /**
     * Lines the caller's transaction up behind the erasures other bridges sharing the database have under way (see
     * {@link SuppressionStore#nextTombstoneSeq}), before it touches any row about the persons.
     */
    void queueBehindOtherErasures(Connection transaction) throws SQLException {
        suppressions.nextTombstoneSeq(transaction);
    }

    Set<String> erase(Connection transaction, ObjectNode event, Instant now) throws SQLException {
        String userId = EventFields.text(event, "userId");
        String anonymousId = EventFields.text(event, "anonymousId");
        Optional<String> key = identity.keyIn(event);
        Optional<IdentityStore.Person> person = identity.find(userId, anonymousId);
        if (key.isEmpty()) {
            key = person.flatMap(IdentityStore.Person::primaryKey);
            key.ifPresent(known -> writeKey(event, known));
        }
        String requestId = event.path("messageId").asText();
        String subjectHash = subjectHash(key, userId, anonymousId);
        EventFields.bridgeMarks(event).putObject(MARK).put("request", requestId).put("subject", subjectHash);

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
        LOG.info("Erasure {}: removed the person from the bridge's stores ({}); the platforms follow", requestId, removed);
        return hashes;
    }

    /** After the transaction committed: the tombstones hold, and no one remembers the erased persons' identity rows. */
    void committed(Set<String> tombstones, int erasures) {
        suppressions.remember(tombstones);
        if (erasures > 0) {
            // The erasure deleted identity rows directly.
            identity.forgetRemembered();
            Counter.builder("bridge.privacy.erasures").description("Erasure requests taken in")
                    .register(meters).increment(erasures);
        }
    }

    // ---- reading events -----------------------------------------------------------------------------------------

    /** Segment's delete notification, a {@code User Deleted} track or an operator's request. */
    public static boolean isErasure(JsonNode event) {
        String type = event.path("type").asText("");
        return "delete".equals(type) || ("track".equals(type) && "User Deleted".equals(event.path("event").asText()));
    }

    /** The erasure request an event belongs to, when it is one that passed the intake. */
    static Optional<JsonNode> erasureMark(JsonNode event) {
        JsonNode mark = event.path("context").path("bridge").path(MARK);
        return mark.isObject() ? Optional.of(mark) : Optional.empty();
    }

    /** True when the event is about a person who was erased (and is not itself an erasure request). */
    boolean aboutErased(JsonNode event) {
        return suppressions.anyErased() && erasureMark(event).isEmpty() && !isErasure(event)
                && suppressions.erased(identifierHashes(event));
    }

    /** True when the event is about a person these tombstones (an erasure's, not yet committed) name. */
    boolean aboutAnyOf(JsonNode event, Set<String> tombstones) {
        return !tombstones.isEmpty() && !isErasure(event) && identifierHashes(event).stream().anyMatch(tombstones::contains);
    }

    /** The person's primary key as the event carries it, or null. */
    String keyOf(JsonNode event) {
        return identity.keyIn(event).orElse(null);
    }

    /** The hashes under which an event's person would be tombstoned. */
    Set<String> identifierHashes(JsonNode event) {
        Set<String> hashes = new LinkedHashSet<>();
        identity.keyIn(event).ifPresent(key -> hashes.add(hash("key", key)));
        Optional.ofNullable(EventFields.text(event, "userId")).ifPresent(userId -> hashes.add(hash("user", userId)));
        Optional.ofNullable(EventFields.text(event, "anonymousId")).ifPresent(anonymousId -> hashes.add(hash("anonymous", anonymousId)));
        return hashes;
    }

    /** The hashes under which a stored person is tombstoned: how a store that files rows by them finds the person's. */
    public static Set<String> identifierHashes(PersonKeys person) {
        Set<String> hashes = new LinkedHashSet<>();
        person.keys().forEach(key -> hashes.add(hash("key", key)));
        person.userIds().forEach(userId -> hashes.add(hash("user", userId)));
        person.anonymousIds().forEach(anonymousId -> hashes.add(hash("anonymous", anonymousId)));
        return hashes;
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

    private void writeKey(ObjectNode event, String key) {
        ObjectNode parent = event;
        for (int i = 0; i < resolvedKeyField.length - 1; i++) {
            parent = parent.with(resolvedKeyField[i]);
        }
        parent.put(resolvedKeyField[resolvedKeyField.length - 1], key);
    }
}
