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
 * The intake log on the embedded broker: the anycast queue {@value EmbeddedBroker#INTAKE_LOG}. An append is one
 * transaction synced to disk, stored as one record per {@value IntakeLog#EVENTS_PER_RECORD} events (a platform's
 * report whole, so that the events of one consent change are always processed together), which keeps the broker's work
 * per event small. The processor's reader is one transacted session that both takes records off the queue and
 * publishes to the destinations' address.
 */
final class ArtemisIntakeLog implements IntakeLog {

    static final String KIND_PROPERTY = "intakeKind";
    static final String RECEIVED_AT_PROPERTY = "receivedAtMillis";

    private final ConnectionFactory appends;
    private final ConnectionFactory readers;
    private final java.util.concurrent.atomic.AtomicLong appended = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param appends pooled connections, shared by the intake's requests
     * @param readers unpooled connections, one for each reader's long-lived session
     */
    ArtemisIntakeLog(ConnectionFactory appends, ConnectionFactory readers) {
        this.appends = appends;
        this.readers = readers;
    }

    /** One transaction: when this returns the events are on disk, when it throws none are. */
    @Override
    public void append(List<Entry> events, String receivedVia, Kind kind, Instant receivedAt) {
        if (events.isEmpty()) {
            return;
        }
        try (JMSContext context = ArtemisEventQueue.openTransactedContext(appends)) {
            JMSProducer producer = context.createProducer().setDeliveryMode(DeliveryMode.PERSISTENT);
            jakarta.jms.Queue log = context.createQueue(EmbeddedBroker.INTAKE_LOG);
            try {
                for (List<Entry> record : IntakeRecords.split(events, kind)) {
                    TextMessage message = context.createTextMessage(IntakeRecords.join(record));
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

    @Override
    public long appendedEvents() {
        return appended.get();
    }

    /** Use it from one thread only, as JMS sessions require. */
    @Override
    public Reader openReader() {
        try {
            return new SessionReader(readers.createConnection());
        } catch (JMSException | RuntimeException e) {
            throw new EventQueue.QueueUnavailableException(e);
        }
    }

    private static final class SessionReader implements Reader {

        private final Connection connection;
        private final Session session;
        private final MessageConsumer consumer;
        private final MessageProducer producer;

        private SessionReader(Connection connection) throws JMSException {
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

        @Override
        public List<Logged> next(int max, long waitMillis, long lingerMillis) {
            try {
                return read(max, waitMillis, lingerMillis);
            } catch (JMSException | RuntimeException e) {
                throw unavailable(e);
            }
        }

        private List<Logged> read(int max, long waitMillis, long lingerMillis) throws JMSException {
            List<Logged> batch = new ArrayList<>();
            Message message = consumer.receive(waitMillis);
            long lingerUntil = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(lingerMillis);
            while (message != null) {
                String record = message.getJMSMessageID();
                String receivedVia = message.getStringProperty(EventQueue.RECEIVED_VIA_PROPERTY);
                Kind kind = Kind.valueOf(message.getStringProperty(KIND_PROPERTY));
                Instant receivedAt = Instant.ofEpochMilli(message.getLongProperty(RECEIVED_AT_PROPERTY));
                JsonNode events = IntakeRecords.parse(((TextMessage) message).getText(), record);
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

        @Override
        public void emit(Entry event, String receivedVia, String onlyFor) {
            try {
                TextMessage message = session.createTextMessage(event.json());
                message.setStringProperty(EventQueue.TYPE_PROPERTY, event.type());
                message.setStringProperty(EventQueue.MESSAGE_ID_PROPERTY, event.messageId());
                message.setStringProperty(EventQueue.RECEIVED_VIA_PROPERTY, receivedVia);
                if (onlyFor != null) {
                    message.setStringProperty(EmbeddedBroker.ONLY_FOR_PROPERTY, onlyFor);
                }
                producer.send(message);
            } catch (JMSException | RuntimeException e) {
                throw unavailable(e);
            }
        }

        @Override
        public void commit() {
            try {
                session.commit();
            } catch (JMSException | RuntimeException e) {
                throw unavailable(e);
            }
        }

        @Override
        public void rollback() {
            try {
                session.rollback();
            } catch (JMSException | RuntimeException e) {
                throw unavailable(e);
            }
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (JMSException e) {
                // The session is gone either way; what it held unacknowledged goes back to the queue.
            }
        }

        private static RuntimeException unavailable(Exception e) {
            // A record the intake wrote but cannot be read back is a damaged journal, not an outage: it stays loud.
            return e instanceof IllegalStateException damaged ? damaged : new EventQueue.QueueUnavailableException(e);
        }
    }
}
