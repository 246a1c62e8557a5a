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
        // Several commit intervals: the settled events' acknowledgements are committed by now.
        Thread.sleep(20 * ArtemisDestinationReader.COMMIT_EVERY_MILLIS + 100);

        // The broker goes away under the reader: nothing more is acknowledged, as in a crash.
        broker.stop();
        reader.stop();

        EmbeddedBroker restarted = startedBroker();
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

    private EmbeddedBroker startedBroker() {
        EmbeddedBroker broker = new EmbeddedBroker(folder, List.of(DESTINATION), 0);
        broker.start();
        return broker;
    }

    private static IntakeLog.Entry entry(String messageId) {
        ObjectNode event = JSON.createObjectNode().put("type", "track").put("event", "Read").put("messageId", messageId)
                .put("userId", "person-" + messageId);
        return IntakeLog.Entry.of(event);
    }
}
