package org.segmentbridge.queue;

import java.util.List;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSProducer;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;

/**
 * Publishes accepted events to the durable queue. All events of one call are committed in a single transaction:
 * when {@link #publish} returns they are on disk in every destination's subscription (with {@link #publishTo}, in
 * the one named), and when it throws none are.
 */
public class EventQueue {

    /** JMS properties every queued event carries, so consumers can select without parsing the body. */
    public static final String TYPE_PROPERTY = "eventType";
    public static final String MESSAGE_ID_PROPERTY = "eventMessageId";
    public static final String RECEIVED_VIA_PROPERTY = "receivedVia";
    /** On a replayed dead letter: what it names (an action, or {@code route:<id>}) runs again, nothing else. */
    public static final String REPLAY_ACTION_PROPERTY = "replayAction";

    private final ConnectionFactory connectionFactory;
    private final ConnectionFactory oneDestinationConnections;

    /**
     * @param connectionFactory         pooled connections, for events for every destination
     * @param oneDestinationConnections unpooled connections, for events for one destination. Artemis keeps the
     *                                  routing of a session's last send and reuses it for the next send to the same
     *                                  address; a fully qualified queue name shares the address, so a pooled session
     *                                  that had sent to every queue sent the next one-destination event to every
     *                                  queue too (and the reverse). A session of its own for each such send keeps
     *                                  the two apart.
     */
    public EventQueue(ConnectionFactory connectionFactory, ConnectionFactory oneDestinationConnections) {
        this.connectionFactory = connectionFactory;
        this.oneDestinationConnections = oneDestinationConnections;
    }

    public record QueuedEvent(String type, String messageId, String json) {
    }

    public void publish(List<QueuedEvent> events, String receivedVia) {
        send(connectionFactory, EmbeddedBroker.EVENTS_ADDRESS, events, receivedVia);
    }

    /**
     * Like {@link #publish}, but for one destination's subscription only: events meant for a single destination
     * (Sailthru's postbacks, bound for Segment) must not reach the others.
     */
    public void publishTo(String destination, List<QueuedEvent> events, String receivedVia) {
        // The subscription is a multicast queue: address it as a topic, by its fully qualified name, to reach it alone.
        send(oneDestinationConnections, EmbeddedBroker.subscription(destination), events, receivedVia);
    }

    private void send(ConnectionFactory connections, String topic, List<QueuedEvent> events, String receivedVia) {
        if (events.isEmpty()) {
            return;
        }
        try (JMSContext context = openTransactedContext(connections)) {
            Topic address = context.createTopic(topic);
            JMSProducer producer = context.createProducer().setDeliveryMode(DeliveryMode.PERSISTENT);
            try {
                for (QueuedEvent event : events) {
                    TextMessage message = context.createTextMessage(event.json());
                    message.setStringProperty(TYPE_PROPERTY, event.type());
                    message.setStringProperty(MESSAGE_ID_PROPERTY, event.messageId());
                    message.setStringProperty(RECEIVED_VIA_PROPERTY, receivedVia);
                    producer.send(address, message);
                }
                context.commit();
            } catch (RuntimeException | jakarta.jms.JMSException e) {
                context.rollback();
                throw new QueueUnavailableException(e);
            }
        }
    }

    /**
     * Queues one event again for a single destination (a dead letter being replayed), not for the others.
     *
     * @param onlyAction what the dead letter names: an action to deliver again, {@code route:<id>} to run that route
     *                   alone, anything else (or null) to run every route of the destination
     */
    public void republish(String destination, QueuedEvent event, String onlyAction) {
        try (JMSContext context = openTransactedContext(oneDestinationConnections)) {
            try {
                TextMessage message = context.createTextMessage(event.json());
                message.setStringProperty(TYPE_PROPERTY, event.type());
                message.setStringProperty(MESSAGE_ID_PROPERTY, event.messageId());
                message.setStringProperty(RECEIVED_VIA_PROPERTY, "replay");
                if (onlyAction != null) {
                    message.setStringProperty(REPLAY_ACTION_PROPERTY, onlyAction);
                }
                // The subscription is a multicast queue: address it as a topic, by its fully qualified name, to reach it alone.
                context.createProducer().setDeliveryMode(DeliveryMode.PERSISTENT)
                        .send(context.createTopic(EmbeddedBroker.subscription(destination)), message);
                context.commit();
            } catch (RuntimeException | jakarta.jms.JMSException e) {
                context.rollback();
                throw new QueueUnavailableException(e);
            }
        }
    }

    private static JMSContext openTransactedContext(ConnectionFactory connections) {
        JMSContext context;
        try {
            context = connections.createContext(JMSContext.SESSION_TRANSACTED);
        } catch (jakarta.jms.JMSRuntimeException e) {
            throw new QueueUnavailableException(e);
        }
        if (context == null) {
            // The connection pool answers null once stopped, i.e. while the broker is down.
            throw new QueueUnavailableException(new IllegalStateException("the event queue is not running"));
        }
        return context;
    }

    public static class QueueUnavailableException extends RuntimeException {
        QueueUnavailableException(Throwable cause) {
            super("the event queue did not store the events: " + cause.getMessage(), cause);
        }
    }
}
