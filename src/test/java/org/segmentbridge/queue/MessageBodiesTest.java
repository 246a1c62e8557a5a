package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.jms.BytesMessage;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.QueueBrowser;
import jakarta.jms.TextMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.TestFolders;

/**
 * Events travel in the embedded broker as UTF-8 JSON in bytes messages, and what earlier versions queued as JMS text
 * messages (still in a journal after an upgrade) reads the same, on the intake log and on a destination's log.
 */
class MessageBodiesTest {

    private static final String DESTINATION = "bodies-test";
    private static final ObjectMapper JSON = new ObjectMapper();

    private EmbeddedBroker broker;

    @BeforeEach
    void start() throws Exception {
        Path folder = TestFolders.create("message-bodies-");
        broker = new EmbeddedBroker(folder, List.of(DESTINATION), 0);
        broker.start();
    }

    @AfterEach
    void stop() {
        broker.stop();
    }

    @Test
    void eventsAreQueuedAsUtf8AndReadBackWhole() throws Exception {
        ObjectNode event = event("utf8", "Zoë Åström 🙂");
        broker.eventQueue().republish(DESTINATION, IntakeLog.Entry.of(event), null);

        List<Message> queued = browse();
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0)).isInstanceOf(BytesMessage.class);
        assertThat(JSON.readTree(new String(queued.get(0).getBody(byte[].class), StandardCharsets.UTF_8))).isEqualTo(event);
        assertThat(JSON.readTree(readOne().json())).isEqualTo(event);
    }

    @Test
    void aBatchsEventsTravelAsOneBytesMessageAndReadBackWholeInOrder() throws Exception {
        ObjectNode first = event("run-1", "Zoë Åström 🙂");
        // Over 100 KiB together: the message travels as an Artemis large message.
        ObjectNode second = event("run-2", "x".repeat(120_000));
        try (IntakeLog.Reader processor = broker.intakeLog().openReader()) {
            processor.emit(IntakeLog.Entry.of(first), "tracking-api", null);
            processor.emit(IntakeLog.Entry.of(second), "tracking-api", null);
            processor.commit();
        }

        try (JMSContext context = broker.connectionFactory().createContext();
             QueueBrowser browser = context.createBrowser(context.createQueue(EmbeddedBroker.subscription(DESTINATION)))) {
            java.util.Enumeration<?> queued = browser.getEnumeration();
            assertThat(queued.hasMoreElements()).isTrue();
            Message message = (Message) queued.nextElement();
            // A large message's body is read before the browser moves on.
            assertThat(EmbeddedBroker.eventsOf(message)).extracting(JSON::readTree).containsExactly(first, second);
            assertThat(message.getIntProperty(EmbeddedBroker.EVENTS_PROPERTY)).isEqualTo(2);
            assertThat(message.getStringProperty(EventQueue.RECEIVED_VIA_PROPERTY)).isEqualTo("tracking-api");
            assertThat(queued.hasMoreElements()).as("one message").isFalse();
        }
        KeptMessages kept = new KeptMessages();
        DestinationReader reader = broker.destinationReader(DESTINATION, 10, kept);
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> kept.received.size() == 2);
            assertThat(kept.received).extracting(message -> JSON.readTree(message.json())).containsExactly(first, second);
        } finally {
            reader.stop();
        }
    }

    @Test
    void anEventQueuedAsTextByAnEarlierVersionReadsTheSame() throws Exception {
        ObjectNode event = event("as-text", "Zoë Åström 🙂");
        try (JMSContext context = broker.connectionFactory().createContext()) {
            TextMessage message = context.createTextMessage(event.toString());
            message.setStringProperty(EventQueue.TYPE_PROPERTY, "track");
            message.setStringProperty(EventQueue.MESSAGE_ID_PROPERTY, "as-text");
            context.createProducer().send(context.createTopic(EmbeddedBroker.EVENTS_ADDRESS), message);
        }
        assertThat(JSON.readTree(readOne().json())).isEqualTo(event);
    }

    @Test
    void anIntakeRecordWrittenAsTextByAnEarlierVersionReadsTheSame() throws Exception {
        ObjectNode first = event("record-1", "Zoë");
        ObjectNode second = event("record-2", "Åström 🙂");
        try (JMSContext context = broker.connectionFactory().createContext()) {
            TextMessage record = context.createTextMessage("[" + first + "," + second + "]");
            record.setStringProperty(EventQueue.RECEIVED_VIA_PROPERTY, "tracking-api");
            record.setStringProperty(ArtemisIntakeLog.KIND_PROPERTY, IntakeLog.Kind.EVENT.name());
            record.setLongProperty(ArtemisIntakeLog.RECEIVED_AT_PROPERTY, Instant.parse("2026-12-03T10:00:00Z").toEpochMilli());
            context.createProducer().send(context.createQueue(EmbeddedBroker.INTAKE_LOG), record);
        }
        broker.intakeLog().append(List.of(IntakeLog.Entry.of(event("record-3", "written now"))), "tracking-api",
                IntakeLog.Kind.EVENT, Instant.parse("2026-12-03T10:00:01Z")).join();

        try (IntakeLog.Reader reader = broker.intakeLog().openReader()) {
            List<IntakeLog.Logged> read = reader.next(10, 5_000, 200);
            assertThat(read).extracting(IntakeLog.Logged::event).containsExactly(first, second, event("record-3", "written now"));
            assertThat(read).extracting(IntakeLog.Logged::receivedVia).containsOnly("tracking-api");
            reader.rollback();
        }
    }

    private static ObjectNode event(String messageId, String name) {
        ObjectNode event = JSON.createObjectNode().put("type", "track").put("event", "Bodies").put("messageId", messageId)
                .put("userId", "person-" + messageId);
        event.putObject("properties").put("name", name);
        return event;
    }

    @SuppressWarnings("unchecked")
    private List<Message> browse() throws Exception {
        try (JMSContext context = broker.connectionFactory().createContext();
             QueueBrowser browser = context.createBrowser(context.createQueue(EmbeddedBroker.subscription(DESTINATION)))) {
            return Collections.list((java.util.Enumeration<Message>) browser.getEnumeration());
        }
    }

    private QueuedMessage readOne() throws Exception {
        KeptMessages kept = new KeptMessages();
        DestinationReader reader = broker.destinationReader(DESTINATION, 10, kept);
        reader.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !kept.received.isEmpty());
            return kept.received.get(0);
        } finally {
            reader.stop();
        }
    }
}
