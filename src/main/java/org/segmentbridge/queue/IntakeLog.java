package org.segmentbridge.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSProducer;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;

/**
 * The intake log: what the intake appends before it answers, and what the processor reads. Appending is the only
 * work on an HTTP request's path: one transaction synced to disk, no database.
 *
 * <p>An append is stored as one log record per {@value #EVENTS_PER_RECORD} events (a platform's report whole, so that
 * the events of one consent change are always processed together), which keeps the broker's work per event small.
 *
 * <p>The processor reads through a {@link Reader}: one transacted session that both takes events from the intake log
 * and publishes the processor's output to the destinations' logs, so a commit does both or neither. A crash before
 * the commit gives the events back to the log, to be read again at the same {@link Logged#position() position}.
 */
public final class IntakeLog {

    static final String KIND_PROPERTY = "intakeKind";
    static final String RECEIVED_AT_PROPERTY = "receivedAtMillis";
    static final int EVENTS_PER_RECORD = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the processor does with an appended event. */
    public enum Kind {
        /** From Segment or an operator: for every destination. */
        EVENT,
        /** What a platform reported: a consent change for every destination, engagement for Segment alone. */
        REPORT
    }

    /** One event as appended: its type and messageId travel beside the body, so the log can be read without parsing. */
    public record Entry(String type, String messageId, String json) {
    }

    /**
     * One event as read back.
     *
     * @param position where it sits in the log; the same when the event is read again after a crash or a rollback
     */
    public record Logged(String position, ObjectNode event, String receivedVia, Kind kind, Instant receivedAt) {
    }

    private final ConnectionFactory appends;
    private final ConnectionFactory readers;
    private final java.util.concurrent.atomic.AtomicLong appended = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param appends pooled connections, shared by the intake's requests
     * @param readers unpooled connections, one for each reader's long-lived session
     */
    public IntakeLog(ConnectionFactory appends, ConnectionFactory readers) {
        this.appends = appends;
        this.readers = readers;
    }

    /** Appends the events in one transaction: when this returns they are on disk, when it throws none are. */
    public void append(List<Entry> events, String receivedVia, Kind kind, Instant receivedAt) {
        if (events.isEmpty()) {
            return;
        }
        try (JMSContext context = EventQueue.openTransactedContext(appends)) {
            JMSProducer producer = context.createProducer().setDeliveryMode(DeliveryMode.PERSISTENT);
            jakarta.jms.Queue log = context.createQueue(EmbeddedBroker.INTAKE_LOG);
            try {
                int perRecord = kind == Kind.REPORT ? events.size() : EVENTS_PER_RECORD;
                for (int from = 0; from < events.size(); from += perRecord) {
                    List<Entry> record = events.subList(from, Math.min(events.size(), from + perRecord));
                    TextMessage message = context.createTextMessage(
                            "[" + String.join(",", record.stream().map(Entry::json).toList()) + "]");
                    message.setStringProperty(EventQueue.RECEIVED_VIA_PROPERTY, receivedVia);
                    message.setStringProperty(KIND_PROPERTY, kind.name());
                    message.setLongProperty(RECEIVED_AT_PROPERTY, receivedAt.toEpochMilli());
                    producer.send(log, message);
                }
                context.commit();
            } catch (RuntimeException | JMSException e) {
                context.rollback();
                throw new EventQueue.QueueUnavailableException(e);
            }
        }
        appended.addAndGet(events.size());
    }

    /** Events appended through this log since the bridge started. */
    public long appendedEvents() {
        return appended.get();
    }

    /** A reader for the processor; use it from one thread only, as JMS sessions require. */
    public Reader openReader() throws JMSException {
        return new Reader(readers.createConnection());
    }

    /** Takes batches from the intake log and publishes to the destinations' logs, both in the same transaction. */
    public static final class Reader implements AutoCloseable {

        private final Connection connection;
        private final Session session;
        private final MessageConsumer consumer;
        private final MessageProducer producer;

        private Reader(Connection connection) throws JMSException {
            this.connection = connection;
            try {
                session = connection.createSession(true, Session.SESSION_TRANSACTED);
                consumer = session.createConsumer(session.createQueue(EmbeddedBroker.INTAKE_LOG));
                producer = session.createProducer(session.createTopic(EmbeddedBroker.EVENTS_ADDRESS));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
                connection.start();
            } catch (JMSException | RuntimeException e) {
                connection.close();
                throw e;
            }
        }

        /**
         * The events of whole records, oldest first, until there are {@code max} or more: waits up to
         * {@code waitMillis} for the first record, then up to {@code lingerMillis} more for others. Empty when nothing
         * came. Lingering makes a batch of what arrives within a few milliseconds instead of one batch (two database
         * commits and a journal sync) per request when requests come one by one.
         */
        public List<Logged> next(int max, long waitMillis, long lingerMillis) throws JMSException {
            List<Logged> batch = new ArrayList<>();
            Message message = consumer.receive(waitMillis);
            long lingerUntil = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(lingerMillis);
            while (message != null) {
                String record = message.getJMSMessageID();
                String receivedVia = message.getStringProperty(EventQueue.RECEIVED_VIA_PROPERTY);
                Kind kind = Kind.valueOf(message.getStringProperty(KIND_PROPERTY));
                Instant receivedAt = Instant.ofEpochMilli(message.getLongProperty(RECEIVED_AT_PROPERTY));
                JsonNode events = parse(((TextMessage) message).getText(), record);
                for (int index = 0; index < events.size(); index++) {
                    batch.add(new Logged(record + "#" + index, (ObjectNode) events.get(index), receivedVia, kind, receivedAt));
                }
                if (batch.size() >= max) {
                    break;
                }
                message = consumer.receiveNoWait();
                long lingerLeft = lingerUntil - System.nanoTime();
                if (message == null && lingerLeft > 0) {
                    message = consumer.receive(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(lingerLeft)));
                }
            }
            return batch;
        }

        private static JsonNode parse(String text, String record) {
            try {
                JsonNode events = JSON.readTree(text);
                if (events instanceof com.fasterxml.jackson.databind.node.ArrayNode array
                        && java.util.stream.StreamSupport.stream(array.spliterator(), false).allMatch(JsonNode::isObject)) {
                    return array;
                }
            } catch (java.io.IOException e) {
                // reported below
            }
            // The intake wrote it from parsed objects: unreadable means the journal itself is damaged.
            throw new IllegalStateException("intake log record " + record + " is not a JSON array of events");
        }

        /**
         * Publishes one event to the destinations' logs within this reader's transaction.
         *
         * @param onlyFor the one destination that takes it, or null for every destination
         */
        public void emit(Entry event, String receivedVia, String onlyFor) throws JMSException {
            TextMessage message = session.createTextMessage(event.json());
            message.setStringProperty(EventQueue.TYPE_PROPERTY, event.type());
            message.setStringProperty(EventQueue.MESSAGE_ID_PROPERTY, event.messageId());
            message.setStringProperty(EventQueue.RECEIVED_VIA_PROPERTY, receivedVia);
            if (onlyFor != null) {
                message.setStringProperty(EmbeddedBroker.ONLY_FOR_PROPERTY, onlyFor);
            }
            producer.send(message);
        }

        /** Takes the batch off the intake log and makes what was emitted durable, at once. */
        public void commit() throws JMSException {
            session.commit();
        }

        /** Gives the batch back to the intake log (to be read again, in order) and forgets what was emitted. */
        public void rollback() throws JMSException {
            session.rollback();
        }

        @Override
        public void close() throws JMSException {
            connection.close();
        }
    }
}
