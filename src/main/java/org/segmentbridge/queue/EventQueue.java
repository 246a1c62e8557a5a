package org.segmentbridge.queue;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSContext;
import jakarta.jms.TextMessage;

/**
 * Puts one event back on a destination's log: a dead letter being replayed, an event that waited for its person's
 * key. What the processor publishes goes through {@link IntakeLog.Reader}, in the transaction that takes its input.
 */
public class EventQueue {

    /** JMS properties every queued event carries, so consumers can select without parsing the body. */
    public static final String TYPE_PROPERTY = "eventType";
    public static final String MESSAGE_ID_PROPERTY = "eventMessageId";
    public static final String RECEIVED_VIA_PROPERTY = "receivedVia";
    /** On a replayed dead letter: what it names (an action, or {@code route:<id>}) runs again, nothing else. */
    public static final String REPLAY_ACTION_PROPERTY = "replayAction";

    private final ConnectionFactory connectionFactory;

    /** @param connectionFactory pooled connections to the broker */
    public EventQueue(ConnectionFactory connectionFactory) {
        this.connectionFactory = connectionFactory;
    }

    public record QueuedEvent(String type, String messageId, String json) {
    }

    /**
     * Queues one event again for a single destination (a dead letter being replayed), not for the others.
     *
     * @param onlyAction what the dead letter names: an action to deliver again, {@code route:<id>} to run that route
     *                   alone, anything else (or null) to run every route of the destination
     */
    public void republish(String destination, QueuedEvent event, String onlyAction) {
        try (JMSContext context = openTransactedContext(connectionFactory)) {
            try {
                TextMessage message = context.createTextMessage(event.json());
                message.setStringProperty(TYPE_PROPERTY, event.type());
                message.setStringProperty(MESSAGE_ID_PROPERTY, event.messageId());
                message.setStringProperty(RECEIVED_VIA_PROPERTY, "replay");
                message.setStringProperty(EmbeddedBroker.ONLY_FOR_PROPERTY, destination);
                if (onlyAction != null) {
                    message.setStringProperty(REPLAY_ACTION_PROPERTY, onlyAction);
                }
                context.createProducer().setDeliveryMode(DeliveryMode.PERSISTENT)
                        .send(context.createTopic(EmbeddedBroker.EVENTS_ADDRESS), message);
                context.commit();
            } catch (RuntimeException | jakarta.jms.JMSException e) {
                context.rollback();
                throw new QueueUnavailableException(e);
            }
        }
    }

    /** A transacted context, or {@link QueueUnavailableException} while the broker is down. */
    static JMSContext openTransactedContext(ConnectionFactory connections) {
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
