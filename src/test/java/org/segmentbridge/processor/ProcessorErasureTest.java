package org.segmentbridge.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.queue.IntakeLog;

/**
 * What the processor does around an erasure.
 * <ul>
 * <li>An event that follows its person's erasure in the same processor batch goes nowhere, as it would had it come in
 * a later batch (where the tombstones, committed by then, drop it before anything else). It used not to: the processor
 * checked the tombstones before it screened the batch, so such an event was published, and only the destinations'
 * gate, whose copy of the tombstones learns of new ones after the publish, stood between it and a vendor re-creating
 * the person. A consent signal there recorded the erased person's consent again.</li>
 * <li>A person's previous key (the email before a rename) that the processor recorded in an event's marks, for a
 * replay, is gone once the person is erased, whether the erasure came in a later batch or later in the same one. It
 * used to stay in the message ledger until the dedupe window purged it (a day), where nothing the erasure names could
 * find it: the identity store forgets the old email at the rename.</li>
 * </ul>
 */
class ProcessorErasureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-04T17:00:00Z");

    private ProcessorOnStore onStore;
    private EventProcessor processor;

    @BeforeEach
    void start() throws Exception {
        onStore = ProcessorOnStore.start("processor-erasure-", Optional.empty());
        processor = onStore.processor();
    }

    @AfterEach
    void stop() {
        onStore.close();
    }

    @Test
    void anEventAfterItsPersonsErasureInTheSameBatchGoesNowhere() throws Exception {
        EventProcessor.Batch batch = processor.process(List.of(
                logged("r1", identify("user-1", "gone@example.com")),
                logged("r2", delete("user-1")),
                logged("r3", track("after", "user-1"))));

        assertThat(emitted(batch)).containsExactly("identify-user-1", "delete-user-1");
        assertThat(batch.dropped()).containsExactly(new EventProcessor.DroppedEvent(EventProcessor.Dropped.ERASED, "tracking-api"));
    }

    @Test
    void anEventNamingTheErasedPersonByEmailAloneGoesNowhere() throws Exception {
        ObjectNode byEmail = (ObjectNode) JSON.readTree("""
                {"type":"track","messageId":"track-by-email","anonymousId":"visitor-9","event":"Viewed",
                 "context":{"traits":{"email":"Gone2@Example.com"}}}""");

        EventProcessor.Batch batch = processor.process(List.of(
                logged("r1", identify("user-2", "gone2@example.com")),
                logged("r2", delete("user-2")),
                logged("r3", byEmail)));

        assertThat(emitted(batch)).containsExactly("identify-user-2", "delete-user-2");
    }

    @Test
    void aConsentSignalAfterTheErasureRecordsNoConsentOfTheErasedPerson() throws Exception {
        ObjectNode unsubscribed = track("unsubscribed", "user-3");
        unsubscribed.put("event", "Unsubscribed");

        EventProcessor.Batch batch = processor.process(List.of(
                logged("r1", identify("user-3", "gone3@example.com")),
                logged("r2", delete("user-3")),
                logged("r3", unsubscribed)));

        assertThat(emitted(batch)).containsExactly("identify-user-3", "delete-user-3");
        assertThat(consentRows()).isZero();
    }

    @Test
    void eventsBeforeTheErasureAndOtherPersonsEventsAfterItGoOn() throws Exception {
        EventProcessor.Batch batch = processor.process(List.of(
                logged("r1", identify("user-4", "gone4@example.com")),
                logged("r2", track("before", "user-4")),
                logged("r3", delete("user-4")),
                logged("r4", track("someone-else", "user-5"))));

        assertThat(emitted(batch)).containsExactly("identify-user-4", "track-before", "delete-user-4", "track-someone-else");
        assertThat(batch.dropped()).isEmpty();
    }

    @Test
    void theSameBatchReadAgainAfterACrashStillSendsTheEventNowhere() throws Exception {
        List<IntakeLog.Logged> batch = List.of(
                logged("r1", identify("user-6", "gone6@example.com")),
                logged("r2", delete("user-6")),
                logged("r3", track("after-crash", "user-6")));
        // Committed, and the crash came before the publish: nothing in memory knows of the erasure yet.
        processor.process(batch);

        EventProcessor.Batch readAgain = processor.process(List.of(
                logged("r1", identify("user-6", "gone6@example.com")),
                logged("r2", delete("user-6")),
                logged("r3", track("after-crash", "user-6"))));

        assertThat(emitted(readAgain)).containsExactly("identify-user-6", "delete-user-6");
    }

    @Test
    void anErasureInALaterBatchStripsThePreviousKeyFromTheMarksAndAuditsIt() throws Exception {
        processor.process(List.of(logged("r1", identify("user-7", "old7@example.com"))));
        processor.process(List.of(logged("r2", rename("user-7", "new7@example.com")),
                logged("r3", identify("user-8", "kept8@example.com"))));
        processor.process(List.of(logged("r4", rename("user-8", "now8@example.com"))));
        assertThat(column("SELECT marks FROM message_mark")).as("recorded for a replay")
                .anyMatch(marks -> marks.contains("old7@example.com"));

        processor.process(List.of(logged("r5", delete("user-7"))));

        assertThat(column("SELECT marks FROM message_mark")).noneMatch(marks -> marks.contains("old7@example.com"))
                .as("another person's previous key stays").anyMatch(marks -> marks.contains("kept8@example.com"));
        assertThat(column("SELECT reference FROM privacy_audit")).anyMatch(reference -> reference.contains("message marks: 1"));
    }

    @Test
    void aRenameFollowedByTheErasureInTheSameBatchKeepsNoPreviousKey() throws Exception {
        processor.process(List.of(logged("r1", identify("user-9", "old9@example.com"))));

        EventProcessor.Batch batch = processor.process(List.of(
                logged("r2", rename("user-9", "new9@example.com")),
                logged("r3", delete("user-9"))));

        assertThat(emitted(batch)).as("the rename still goes out before the erasure").containsExactly("rename-user-9", "delete-user-9");
        assertThat(column("SELECT marks FROM message_mark")).noneMatch(marks -> marks.contains("old9@example.com"));
    }

    private static List<String> emitted(EventProcessor.Batch batch) {
        return batch.emits().stream().map(emit -> emit.event().messageId()).toList();
    }

    private long consentRows() throws Exception {
        return Long.parseLong(column("SELECT COUNT(*) FROM consent_state").get(0));
    }

    private List<String> column(String sql) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection connection = onStore.store().dataSource().getConnection();
             Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery(sql)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    private static ObjectNode identify(String userId, String email) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type":"identify","messageId":"identify-%s","userId":"%s","traits":{"email":"%s"}}"""
                .formatted(userId, userId, email));
    }

    /** A later identify of the user with a new email: their key changes. */
    private static ObjectNode rename(String userId, String email) throws Exception {
        ObjectNode renamed = identify(userId, email);
        renamed.put("messageId", "rename-" + userId);
        return renamed;
    }

    private static ObjectNode delete(String userId) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type":"delete","messageId":"delete-%s","userId":"%s"}""".formatted(userId, userId));
    }

    private static ObjectNode track(String name, String userId) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type":"track","messageId":"track-%s","userId":"%s","event":"Viewed"}""".formatted(name, userId));
    }

    private static IntakeLog.Logged logged(String record, ObjectNode event) {
        return new IntakeLog.Logged(record + "#0", event, "tracking-api", IntakeLog.Kind.EVENT, NOW);
    }
}
