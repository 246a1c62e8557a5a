package org.segmentbridge.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;

/**
 * The intake log on the embedded broker: the anycast queue {@value EmbeddedBroker#INTAKE_LOG}. An append is one
 * transaction synced to disk, stored as one record per {@value IntakeLog#EVENTS_PER_RECORD} events (a platform's
 * report whole, so that the events of one consent change are always processed together), which keeps the broker's work
 * per event small. The processor's reader is one transacted session that both takes records off the queue and
 * publishes to the destinations' address, a batch's run of events for the same destinations as one message.
 */
final class ArtemisIntakeLog implements IntakeLog {

    static final String KIND_PROPERTY = "intakeKind";
    static final String RECEIVED_AT_PROPERTY = "receivedAtMillis";

    private final ConnectionFactory connections;
    private final java.util.concurrent.atomic.AtomicLong appended = new java.util.concurrent.atomic.AtomicLong();
    private final Committer committer = new Committer();
    private final GroupCommit groupCommit = new GroupCommit("intake-log-commit", committer);

    private final DestinationDepths depths;

    /** @param connections unpooled: one for the group commit's long-lived session, one for each reader's */
    ArtemisIntakeLog(ConnectionFactory connections, DestinationDepths depths) {
        this.connections = connections;
        this.depths = depths;
    }

    /**
     * The events are on disk when the future completes, and may not be when it fails: appended in one transaction with
     * the appends of every other request waiting meanwhile ({@link GroupCommit}).
     */
    @Override
    public CompletableFuture<Void> append(List<Entry> events, String receivedVia, Kind kind, Instant receivedAt) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return groupCommit.append(events, receivedVia, kind, receivedAt).thenRun(() -> appended.addAndGet(events.size()));
    }

    /** An append only queues for the group commit ({@link GroupCommit#append}); the committer's thread does the rest. */
    @Override
    public boolean appendNeverWaits() {
        return true;
    }

    /** Lets go of the broker (its connection), for the broker to stop; the next append connects again. */
    void disconnect() {
        committer.reset();
    }

    /**
     * Writes a group of appends on its own connection and session. Events of consecutive appends from the same
     * endpoint share records (of up to {@value IntakeLog#EVENTS_PER_RECORD}), so a stream of single events costs the
     * broker one message per hundred of them; a platform's report stays one record of its own.
     */
    private final class Committer implements GroupCommit.Writer {

        private Connection connection;
        private Session session;
        private MessageProducer producer;

        @Override
        public synchronized void write(List<GroupCommit.Append> group) throws JMSException {
            if (session == null) {
                open();
            }
            List<Entry> record = new ArrayList<>();
            GroupCommit.Append recordOf = null;
            Instant recordReceivedAt = null;
            for (GroupCommit.Append append : group) {
                boolean joins = recordOf != null && append.kind() == Kind.EVENT && recordOf.kind() == Kind.EVENT
                        && recordOf.receivedVia().equals(append.receivedVia());
                if (!joins && recordOf != null) {
                    send(record, recordOf, recordReceivedAt);
                }
                if (!joins) {
                    recordOf = append;
                    recordReceivedAt = append.receivedAt();
                }
                if (append.kind() == Kind.REPORT) {
                    record.addAll(append.events());
                    continue;
                }
                if (append.receivedAt().isAfter(recordReceivedAt)) {
                    recordReceivedAt = append.receivedAt();
                }
                for (Entry event : append.events()) {
                    record.add(event);
                    if (record.size() == EVENTS_PER_RECORD) {
                        send(record, recordOf, recordReceivedAt);
                    }
                }
            }
            if (!record.isEmpty()) {
                send(record, recordOf, recordReceivedAt);
            }
            session.commit();
        }

        /** Sends the record and empties it. */
        private void send(List<Entry> record, GroupCommit.Append from, Instant receivedAt) throws JMSException {
            if (record.isEmpty()) {
                return;
            }
            BytesMessage message = session.createBytesMessage();
            MessageBodies.writeRecord(message, record);
            message.setStringProperty(EventQueue.RECEIVED_VIA_PROPERTY, from.receivedVia());
            message.setStringProperty(KIND_PROPERTY, from.kind().name());
            message.setLongProperty(RECEIVED_AT_PROPERTY, receivedAt.toEpochMilli());
            producer.send(message);
            record.clear();
        }

        private void open() throws JMSException {
            connection = connections.createConnection();
            try {
                session = connection.createSession(true, Session.SESSION_TRANSACTED);
                producer = session.createProducer(session.createQueue(EmbeddedBroker.INTAKE_LOG));
                producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            } catch (JMSException | RuntimeException e) {
                reset();
                throw e;
            }
        }

        @Override
        public void reset() {
            Connection open = connection;
            connection = null;
            session = null;
            producer = null;
            if (open != null) {
                try {
                    open.close();
                } catch (JMSException | RuntimeException e) {
                    // Gone either way; what the session had not committed is rolled back by the broker.
                }
            }
        }
    }

    @Override
    public long appendedEvents() {
        return appended.get();
    }

    /** Use it from one thread only, as JMS sessions require. */
    @Override
    public Reader openReader() {
        try {
            return new SessionReader(connections.createConnection(), depths);
        } catch (JMSException | RuntimeException e) {
            throw new EventQueue.QueueUnavailableException(e);
        }
    }

    private static final class SessionReader implements Reader {

        private final Connection connection;
        private final Session session;
        private final MessageConsumer consumer;
        private final MessageProducer producer;
        private final DestinationDepths depths;
        /**
         * The run of emitted events not sent yet: consecutive events for the same destinations, received the same way,
         * go as one message. The broker's work per message (routing it to every destination's log, each log's filter,
         * its journal records) was most of the processor's publish when each event was a message of its own. A run
         * holds at most {@value IntakeLog#EVENTS_PER_RECORD} events, as the intake's records do: events of the usual
         * size then stay below Artemis' large-message size (100 KiB), whose messages each take a file of their own.
         */
        private final List<Entry> run = new ArrayList<>();
        private String runReceivedVia;
        private String runOnlyFor;
        /** What this transaction sent, by {@code onlyFor} (null: every destination), counted once it commits. */
        private final List<Sent> sent = new ArrayList<>();

        private record Sent(String onlyFor, int events) {
        }

        private SessionReader(Connection connection, DestinationDepths depths) throws JMSException {
            this.connection = connection;
            this.depths = depths;
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
                JsonNode events = IntakeRecords.parse(MessageBodies.utf8(message), record);
                for (int index = 0; index < events.size(); index++) {
                    batch.add(Logged.inRecord(record, index, (ObjectNode) events.get(index), receivedVia, kind, receivedAt));
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
            if (!run.isEmpty() && (run.size() == EVENTS_PER_RECORD
                    || !(receivedVia.equals(runReceivedVia) && Objects.equals(onlyFor, runOnlyFor)))) {
                sendRun();
            }
            run.add(event);
            runReceivedVia = receivedVia;
            runOnlyFor = onlyFor;
        }

        private void sendRun() {
            try {
                BytesMessage message = session.createBytesMessage();
                MessageBodies.writeEvents(message, run);
                message.setStringProperty(EventQueue.RECEIVED_VIA_PROPERTY, runReceivedVia);
                if (runOnlyFor != null) {
                    message.setStringProperty(EmbeddedBroker.ONLY_FOR_PROPERTY, runOnlyFor);
                }
                producer.send(message);
                sent.add(new Sent(runOnlyFor, run.size()));
                run.clear();
            } catch (JMSException | RuntimeException e) {
                throw unavailable(e);
            }
        }

        @Override
        public void commit() {
            if (!run.isEmpty()) {
                sendRun();
            }
            try {
                session.commit();
            } catch (JMSException | RuntimeException e) {
                throw unavailable(e);
            }
            sent.forEach(each -> depths.published(each.onlyFor(), each.events()));
            sent.clear();
        }

        @Override
        public void rollback() {
            run.clear();
            sent.clear();
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
