package org.segmentbridge.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.queue.IntakeLog;

/**
 * An event that follows its person's erasure in the same processor batch goes nowhere, as it would had it come in a
 * later batch (where the tombstones, committed by then, drop it before anything else). It used not to: the processor
 * checked the tombstones before it screened the batch, so such an event was published, and only the destinations'
 * gate, whose copy of the tombstones learns of new ones after the publish, stood between it and a vendor re-creating
 * the person. A consent signal there recorded the erased person's consent again.
 */
class ErasureInBatchTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-04T17:00:00Z");

    private ProcessorOnStore onStore;
    private EventProcessor processor;

    @BeforeEach
    void start() throws Exception {
        onStore = ProcessorOnStore.start("erasure-in-batch-", Optional.empty());
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

    private static List<String> emitted(EventProcessor.Batch batch) {
        return batch.emits().stream().map(emit -> emit.event().messageId()).toList();
    }

    private long consentRows() throws Exception {
        try (Connection connection = onStore.store().dataSource().getConnection();
             Statement query = connection.createStatement();
             ResultSet rows = query.executeQuery("SELECT COUNT(*) FROM consent_state")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static ObjectNode identify(String userId, String email) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type":"identify","messageId":"identify-%s","userId":"%s","traits":{"email":"%s"}}"""
                .formatted(userId, userId, email));
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
