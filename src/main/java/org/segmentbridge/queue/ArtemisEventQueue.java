package org.segmentbridge.queue;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSContext;
import jakarta.jms.BytesMessage;

/** Republishes on the embedded broker: to the destinations' address, with the one destination named. */
final class ArtemisEventQueue implements EventQueue {

    private final ConnectionFactory connectionFactory;
    private final DestinationDepths depths;

    /** @param connectionFactory pooled connections to the broker */
    ArtemisEventQueue(ConnectionFactory connectionFactory, DestinationDepths depths) {
        this.connectionFactory = connectionFactory;
        this.depths = depths;
    }

    @Override
    public void republish(String destination, IntakeLog.Entry event, String onlyAction) {
        try (JMSContext context = openTransactedContext(connectionFactory)) {
            try {
                BytesMessage message = context.createBytesMessage();
                MessageBodies.writeEvent(message, event.json());
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
                depths.published(destination, 1);
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
}
