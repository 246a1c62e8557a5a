package org.segmentbridge.processor;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.crash.CrashPoints;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.queue.IntakeLog;
import org.segmentbridge.state.StateStore;

/**
 * What the processor does with one batch read from the intake log, in the state database: drops events of erased
 * persons (also those after their person's erasure in the same batch), links identities, claims messageIds (dropping duplicates), screens consent and carries out erasures, and
 * says where each remaining event goes. The database work of a whole batch is two transactions (identity, then
 * ledger and screening), whatever its size.
 *
 * <p>Nothing here touches the logs: the caller emits {@link Batch#emits()} and commits, and only then calls
 * {@link Batch#afterEmitted()}, so a crash anywhere leaves the batch to be read again at the same positions.
 */
final class EventProcessor {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARKS = MessageMarks.BRIDGE_MARKS;

    /** Where a processed event goes. */
    enum Route {
        /** Every destination. */
        ALL,
        /** The reports destination alone (engagement a platform reported, for Segment). */
        REPORTS,
        /** Nowhere: a consent signal that changed nothing, or engagement with no destination to take it. */
        NONE
    }

    /** Why the processor dropped an event: the tag of {@code bridge_processor_events_dropped_total}. */
    enum Dropped {
        DUPLICATE("duplicate"), ERASED("erased"), CONSENT_UNCHANGED("consent_unchanged"),
        ENGAGEMENT_NOT_KEPT("engagement_not_kept");

        final String label;

        Dropped(String label) {
            this.label = label;
        }
    }

    /** One event to publish to the destinations' logs; {@code onlyFor} null means every destination. */
    record Emit(IntakeLog.Entry event, String receivedVia, String onlyFor) {
    }

    /** What the batch came to. */
    interface Batch {
        List<Emit> emits();

        /** Counts of what was dropped, by reason and endpoint. */
        List<DroppedEvent> dropped();

        int replayed();

        /** Once the emits are durable: in-memory state catches up, and events waiting for a key now known go. */
        void afterEmitted();
    }

    record DroppedEvent(Dropped reason, String endpoint) {
    }

    private final StateStore stateStore;
    private final IdentityStore identity;
    private final Privacy privacy;
    private final MessageLedger ledger;
    private final MessageMarks messageMarks;
    private final KeyedRelease release;
    private final Optional<String> reportsDestination;

    /** Releases the events held for persons whose key just became known. */
    @FunctionalInterface
    interface KeyedRelease {
        void release(Set<String> persons);
    }

    /**
     * @param reportsDestination the destination that takes engagement reported by a platform (Segment), if any
     */
    EventProcessor(StateStore stateStore, IdentityStore identity, Privacy privacy, MessageLedger ledger, MessageMarks marks,
                   KeyedRelease release, Optional<String> reportsDestination) {
        this.stateStore = stateStore;
        this.identity = identity;
        this.privacy = privacy;
        this.ledger = ledger;
        this.messageMarks = marks;
        this.release = release;
        this.reportsDestination = reportsDestination;
    }

    /** A claimed event: fresh, or the same record read again ({@code marks} as its first pass recorded them). */
    private record Claimed(IntakeLog.Logged read, boolean replay, String marks) {
    }

    Batch process(List<IntakeLog.Logged> logged) throws SQLException {
        List<DroppedEvent> dropped = new ArrayList<>();
        List<IntakeLog.Logged> kept = new ArrayList<>(logged.size());
        Instant now = logged.isEmpty() ? Instant.now() : logged.get(logged.size() - 1).receivedAt();
        Set<String> newlyKeyed = new HashSet<>();
        int linked = 0;
        for (IntakeLog.Logged each : logged) {
            ObjectNode event = each.event();
            CrashPoints.failIfNamed(event.path("messageId").asText());
            if (privacy.withoutErased(List.of(event), each.receivedVia()).isEmpty()) {
                dropped.add(new DroppedEvent(Dropped.ERASED, each.receivedVia()));
                continue;
            }
            if (each.kind() == IntakeLog.Kind.REPORT) {
                Optional<String> email = emailToAttribute(event);
                if (email.isPresent()) {
                    // An identify earlier in this batch may be what makes the email known: link the events before the
                    // report first, as if the batch were read one event at a time.
                    List<IntakeLog.Logged> unlinked = kept.subList(linked, kept.size());
                    if (unlinked.stream().anyMatch(EventProcessor::mayNameUser)) {
                        newlyKeyed.addAll(link(unlinked, now));
                        linked = kept.size();
                    }
                    attributeToKnownUser(event, email.get());
                }
            }
            kept.add(each);
        }
        newlyKeyed.addAll(link(kept.subList(linked, kept.size()), now));
        CrashPoints.pass("processor.identity-linked");

        List<Emit> emits = new ArrayList<>(kept.size());
        int replayed = 0;
        Privacy.Screening screening;
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            try {
                List<IntakeLog.Logged> fresh = new ArrayList<>(kept.size());
                List<Claimed> claimed = new ArrayList<>(kept.size());
                for (IntakeLog.Logged read : kept) {
                    String messageId = read.event().get("messageId").asText();
                    MessageLedger.Claim claim = ledger.claim(transaction, messageId, read.position(),
                            read.receivedAt());
                    if (claim instanceof MessageLedger.Fresh) {
                        fresh.add(read);
                        claimed.add(new Claimed(read, false, null));
                    } else if (claim instanceof MessageLedger.Replay) {
                        replayed++;
                        claimed.add(new Claimed(read, true, messageMarks.recorded(transaction, messageId, read.position()).orElse(null)));
                    } else {
                        dropped.add(new DroppedEvent(Dropped.DUPLICATE, read.receivedVia()));
                    }
                }
                java.util.Map<ObjectNode, String> records = new java.util.IdentityHashMap<>();
                fresh.forEach(read -> records.put(read.event(), read.record()));
                screening = privacy.screen(transaction, fresh.stream().map(IntakeLog.Logged::event).toList(), records::get, now);
                for (Claimed each : claimed) {
                    IntakeLog.Logged read = each.read();
                    if (each.replay()) {
                        Route route = restoreMarks(read, each.marks());
                        // Counted as dropped by the pass that first read it, if it went nowhere.
                        emitOrDrop(read, route, emits, new ArrayList<>());
                    } else if (screening.followsErasureOfItsPerson(read.event())) {
                        // Only the route: the event's own marks may name the person.
                        record(transaction, read, routeMarks(Route.NONE), Set.of());
                        dropped.add(new DroppedEvent(Dropped.ERASED, read.receivedVia()));
                        privacy.countErasedDrop(read.receivedVia());
                    } else {
                        Route route = routeOf(read, screening);
                        recordMarks(transaction, read, route, screening);
                        emitOrDrop(read, route, emits, dropped);
                    }
                }
                transaction.commit();
            } catch (SQLException | RuntimeException e) {
                transaction.rollback();
                throw e;
            }
        }
        stateStore.makeCommittedDurable();
        CrashPoints.pass("processor.ledger-committed");
        Privacy.Screening committed = screening;
        int replays = replayed;
        return new Batch() {
            @Override
            public List<Emit> emits() {
                return emits;
            }

            @Override
            public List<DroppedEvent> dropped() {
                return dropped;
            }

            @Override
            public int replayed() {
                return replays;
            }

            @Override
            public void afterEmitted() {
                privacy.committed(committed);
                release.release(newlyKeyed);
            }
        };
    }

    /** Where a fresh event goes: an event for everyone; a report's consent change for everyone, its engagement for Segment. */
    private Route routeOf(IntakeLog.Logged read, Privacy.Screening screening) {
        if (read.kind() == IntakeLog.Kind.EVENT || screening.changesConsent(read.event())) {
            return Route.ALL;
        }
        if (screening.carriesConsent(read.event())) {
            return Route.NONE;
        }
        return reportsDestination.isPresent() ? Route.REPORTS : Route.NONE;
    }

    /**
     * Records the marks of an event that has any, or that goes elsewhere than its kind's default: a replay finds
     * them. Most events have none, and cost no write. A previous key is filed under its person's identifiers, for an
     * erasure to find; when this batch erases the person after the event, it is not kept at all.
     */
    private void recordMarks(Connection transaction, IntakeLog.Logged read, Route route, Privacy.Screening screening)
            throws SQLException {
        if (!(read.event().path("context").path(MARKS) instanceof ObjectNode bridgeMarks)) {
            if (route != defaultRoute(read.kind())) {
                record(transaction, read, routeMarks(route), Set.of());
            }
            return;
        }
        ObjectNode kept = bridgeMarks;
        Set<String> persons = Set.of();
        String previousKey = bridgeMarks.path(IdentityStore.PREVIOUS_KEY_FIELD).asText("");
        if (!previousKey.isEmpty()) {
            persons = new LinkedHashSet<>(privacy.identifierHashes(read.event()));
            persons.add(Erasures.hash("key", previousKey));
            if (persons.stream().anyMatch(screening.erasedIdentifierHashes()::contains)) {
                kept = bridgeMarks.deepCopy();
                kept.remove(IdentityStore.PREVIOUS_KEY_FIELD);
                persons = Set.of();
            }
        }
        ObjectNode recorded = routeMarks(route);
        if (!kept.isEmpty()) {
            recorded.set(MARKS, kept);
        }
        record(transaction, read, recorded, persons);
    }

    private void record(Connection transaction, IntakeLog.Logged read, ObjectNode recorded, Set<String> persons)
            throws SQLException {
        messageMarks.record(transaction, read.event().get("messageId").asText(), read.position(), read.receivedAt(),
                recorded.toString(), persons);
    }

    private static ObjectNode routeMarks(Route route) {
        return JSON.createObjectNode().put(MessageMarks.ROUTE, route.name());
    }

    private Route defaultRoute(IntakeLog.Kind kind) {
        return kind == IntakeLog.Kind.EVENT ? Route.ALL : reportsDestination.isPresent() ? Route.REPORTS : Route.NONE;
    }

    /** Where a processed event went, from its recorded marks (null when none were recorded: its kind's default). */
    Route recordedRoute(IntakeLog.Kind kind, String marks) {
        Route route = defaultRoute(kind);
        return marks == null ? route : Route.valueOf(parse(marks).path(MessageMarks.ROUTE).asText(route.name()));
    }

    /** The same record read again: it goes where it went the first time, with the marks it had then. */
    private Route restoreMarks(IntakeLog.Logged read, String marks) {
        if (marks != null && parse(marks).get(MARKS) instanceof ObjectNode bridgeMarks) {
            read.event().with("context").set(MARKS, bridgeMarks);
        }
        return recordedRoute(read.kind(), marks);
    }

    private void emitOrDrop(IntakeLog.Logged logged, Route route, List<Emit> emits, List<DroppedEvent> dropped) {
        ObjectNode event = logged.event();
        switch (route) {
            case ALL -> emits.add(new Emit(entry(event), logged.receivedVia(), null));
            case REPORTS -> emits.add(new Emit(entry(event), logged.receivedVia(), reportsDestination.orElseThrow()));
            case NONE -> dropped.add(new DroppedEvent(logged.kind() == IntakeLog.Kind.REPORT && !carriesConsentMark(event)
                    ? Dropped.ENGAGEMENT_NOT_KEPT : Dropped.CONSENT_UNCHANGED, logged.receivedVia()));
        }
    }

    private static boolean carriesConsentMark(ObjectNode event) {
        return event.path("context").path(MARKS).has("consent");
    }

    /** Links the identities the events show; the persons whose key became known. */
    private Set<String> link(List<IntakeLog.Logged> events, Instant now) throws SQLException {
        return events.isEmpty() ? Set.of() : identity.observeAll(events.stream().map(IntakeLog.Logged::event).toList(), now);
    }

    /**
     * Whether linking the event can make a user known: any event a sender sent, or a report with a userId. A report
     * without one names nobody by userId, so a run of them (a backfill) is still linked in one transaction.
     */
    private static boolean mayNameUser(IntakeLog.Logged logged) {
        return logged.kind() == IntakeLog.Kind.EVENT || logged.event().hasNonNull("userId");
    }

    /** The email a platform's report names its person by, when the report has no userId of its own. */
    private static Optional<String> emailToAttribute(ObjectNode event) {
        if (event.hasNonNull("userId")) {
            return Optional.empty();
        }
        String email = event.path("context").path("traits").path("email").asText("");
        return email.isEmpty() ? Optional.empty() : Optional.of(email);
    }

    /**
     * A platform's report names the person by email: the identity store's user for that email, when it knows one,
     * becomes the event's userId, so Segment files the engagement under the person rather than an anonymous visitor.
     */
    private void attributeToKnownUser(ObjectNode event, String email) {
        identity.userIdForKey(email).ifPresent(userId -> {
            event.put("userId", userId);
            event.remove("anonymousId");
        });
    }

    private static IntakeLog.Entry entry(ObjectNode event) {
        return IntakeLog.Entry.of(event);
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException | ClassCastException e) {
            // The intake wrote it from a parsed object: unreadable means the log itself is damaged.
            throw new IllegalStateException("an event in the intake log is not a JSON object: " + e.getMessage(), e);
        }
    }
}
