package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.TestFolders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The embedded broker's destination reader acknowledges in transactions: what the destination settled is gone from
 * its log once the transaction commits (within milliseconds, not at a graceful stop), and what it did not settle is
 * read again by the next session, in the order it was queued.
 */
class ArtemisDestinationReaderTest {

    private static final String DESTINATION = "reader-test";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path folder;

    @BeforeEach
    void folder() throws Exception {
        folder = TestFolders.create("destination-reader-");
    }

    @Test
    void settledEventsAreAcknowledgedDurablyWithoutAGracefulStop() throws Exception {
        List<String> queued = List.of("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
        EmbeddedBroker broker = startedBroker();
        queued.forEach(id -> broker.eventQueue().republish(DESTINATION, entry(id), null));
        KeptMessages first = new KeptMessages();
        DestinationReader reader = broker.destinationReader(DESTINATION, 100, first);
        reader.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> first.received.size() == queued.size());
        List<String> settled = new ArrayList<>();
        for (QueuedMessage message : first.received) {
            String id = KeptMessages.idOf(message);
            if (Integer.parseInt(id.substring(1)) % 2 == 0) {
                reader.finished(message);
                settled.add(id);
            }
        }
        EmbeddedBroker restarted = crashAndRestart(broker, reader);
        KeptMessages second = new KeptMessages();
        DestinationReader again = restarted.destinationReader(DESTINATION, 100, second);
        again.start();
        try {
            List<String> unsettled = queued.stream().filter(id -> !settled.contains(id)).toList();
            await().atMost(Duration.ofSeconds(10)).until(() -> second.received.size() >= unsettled.size());
            Thread.sleep(200);
            assertThat(second.ids()).as("read again: only what was not settled, in the order queued")
                    .containsExactlyElementsOf(unsettled);
        } finally {
            again.stop();
            restarted.stop();
        }
    }

    @Test
    void aStopAcknowledgesWhatSettledAndGivesBackTheRest() throws Exception {
        EmbeddedBroker broker = startedBroker();
        try {
            List.of("a", "b", "c", "d").forEach(id -> broker.eventQueue().republish(DESTINATION, entry(id), null));
            KeptMessages first = new KeptMessages();
            DestinationReader reader = broker.destinationReader(DESTINATION, 100, first);
            reader.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> first.received.size() == 4);
            reader.stopReading();
            // Settled during the stop, after reading ended: still acknowledged before the session closes.
            reader.finished(first.received.get(1));
            reader.finished(first.received.get(2));
            reader.stop();

            KeptMessages second = new KeptMessages();
            DestinationReader again = broker.destinationReader(DESTINATION, 100, second);
            again.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> second.received.size() >= 2);
            Thread.sleep(200);
            again.stop();
            assertThat(second.ids()).containsExactly("a", "d");
        } finally {
            broker.stop();
        }
    }

    /** An event of more than 100 KiB travels as an Artemis large message; it reads the same. */
    @Test
    void aLargeEventReadsWhole() throws Exception {
        EmbeddedBroker broker = startedBroker();
        try {
            ObjectNode event = JSON.createObjectNode().put("type", "track").put("event", "Large").put("messageId", "large")
                    .put("userId", "person-large");
            event.putObject("properties").put("notes", "x".repeat(120_000));
            broker.eventQueue().republish(DESTINATION, IntakeLog.Entry.of(event), null);
            KeptMessages reading = new KeptMessages();
            DestinationReader reader = broker.destinationReader(DESTINATION, 100, reading);
            reader.start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> reading.received.size() == 1);
                assertThat(JSON.readTree(reading.received.get(0).json())).isEqualTo(event);
            } finally {
                reader.stop();
            }
        } finally {
            broker.stop();
        }
    }

    @Test
    void aBatchsEventsTravelAsOneMessageThatIsAcknowledgedOnceAllOfThemSettled() throws Exception {
        EmbeddedBroker broker = startedBroker();
        publish(broker, null, "b0", "b1", "b2");
        KeptMessages first = new KeptMessages();
        DestinationReader reader = broker.destinationReader(DESTINATION, 100, first);
        reader.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> first.received.size() == 3);
        assertThat(first.ids()).containsExactly("b0", "b1", "b2");
        reader.finished(first.received.get(0));
        reader.finished(first.received.get(2));
        // b1 was never settled.
        EmbeddedBroker restarted = crashAndRestart(broker, reader);
        KeptMessages second = new KeptMessages();
        DestinationReader again = restarted.destinationReader(DESTINATION, 100, second);
        try {
            assertThat(restarted.depth(DESTINATION)).as("events waiting after the restart").isEqualTo(3);
            again.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> second.received.size() == 3);
            assertThat(second.ids()).as("the message comes back whole, its settled events too").containsExactly("b0", "b1", "b2");
            second.received.forEach(again::finished);
            await().atMost(Duration.ofSeconds(10)).until(() -> restarted.depth(DESTINATION) == 0);
        } finally {
            again.stop();
            restarted.stop();
        }
        EmbeddedBroker third = startedBroker();
        try {
            assertThat(third.depth(DESTINATION)).as("nothing left once every event settled").isZero();
        } finally {
            third.stop();
        }
    }

    @Test
    void theDestinationHoldsAtMostMaxInFlightEventsWhateverAMessageCarries() throws Exception {
        EmbeddedBroker broker = startedBroker();
        KeptMessages kept = new KeptMessages();
        DestinationReader reader = broker.destinationReader(DESTINATION, 2, kept);
        try {
            publish(broker, null, "f0", "f1", "f2", "f3", "f4");
            reader.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> kept.received.size() == 2);
            Thread.sleep(300);
            assertThat(kept.ids()).as("held with nothing settled").containsExactly("f0", "f1");

            reader.finished(kept.received.get(0));
            await().atMost(Duration.ofSeconds(10)).until(() -> kept.received.size() == 3);
            Thread.sleep(300);
            assertThat(kept.ids()).containsExactly("f0", "f1", "f2");

            for (int settled = 1; settled < 5; settled++) {
                reader.finished(kept.received.get(settled));
                int handed = Math.min(5, settled + 3);
                await().atMost(Duration.ofSeconds(10)).until(() -> kept.received.size() == handed);
            }
            assertThat(kept.ids()).containsExactly("f0", "f1", "f2", "f3", "f4");
            await().atMost(Duration.ofSeconds(10)).until(() -> broker.depth(DESTINATION) == 0);
        } finally {
            reader.stop();
            broker.stop();
        }
    }

    @Test
    void depthCountsEventsOfEachDestinationAlsoAfterARestart() throws Exception {
        List<String> destinations = List.of(DESTINATION, "other");
        EmbeddedBroker broker = new EmbeddedBroker(folder, destinations, 0);
        broker.start();
        try (IntakeLog.Reader processor = broker.intakeLog().openReader()) {
            // One transaction, two runs: three events for every destination, then two for "other" alone.
            for (String id : List.of("d0", "d1", "d2")) {
                processor.emit(entry(id), "tracking-api", null);
            }
            processor.emit(entry("d3"), "tracking-api", "other");
            processor.emit(entry("d4"), "tracking-api", "other");
            processor.commit();
        }
        broker.eventQueue().republish(DESTINATION, entry("replayed"), null);
        assertThat(broker.depth(DESTINATION)).isEqualTo(4);
        assertThat(broker.depth("other")).isEqualTo(5);
        broker.stop();

        EmbeddedBroker restarted = new EmbeddedBroker(folder, destinations, 0);
        restarted.start();
        try {
            assertThat(restarted.depth(DESTINATION)).isEqualTo(4);
            assertThat(restarted.depth("other")).isEqualTo(5);
        } finally {
            restarted.stop();
        }
    }

    /**
     * Waits several commit intervals, so that what was settled is acknowledged durably by then; then the broker goes
     * away under the reader, as in a crash (nothing more is acknowledged), and starts again on the same journal.
     */
    private EmbeddedBroker crashAndRestart(EmbeddedBroker broker, DestinationReader reader) throws Exception {
        Thread.sleep(20 * ArtemisDestinationReader.COMMIT_EVERY_MILLIS + 100);
        broker.stop();
        reader.stop();
        return startedBroker();
    }

    private EmbeddedBroker startedBroker() {
        EmbeddedBroker broker = new EmbeddedBroker(folder, List.of(DESTINATION), 0);
        broker.start();
        return broker;
    }

    /** What the processor publishes for one batch: its events, as one message. */
    private static void publish(EmbeddedBroker broker, String onlyFor, String... messageIds) {
        try (IntakeLog.Reader processor = broker.intakeLog().openReader()) {
            for (String messageId : messageIds) {
                processor.emit(entry(messageId), "tracking-api", onlyFor);
            }
            processor.commit();
        }
    }

    private static IntakeLog.Entry entry(String messageId) {
        ObjectNode event = JSON.createObjectNode().put("type", "track").put("event", "Read").put("messageId", messageId)
                .put("userId", "person-" + messageId);
        return IntakeLog.Entry.of(event);
    }
}
