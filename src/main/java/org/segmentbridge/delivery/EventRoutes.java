package org.segmentbridge.delivery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultConsumer;
import org.segmentbridge.identity.AwaitingIdentity;
import org.segmentbridge.identity.IdentityComponent;
import org.segmentbridge.queue.EventQueue;

/**
 * The routes that start with {@code from: events:<destination>}: every event read for a destination is handed to
 * each of them in turn (one route per use case), and what their {@code deliver:} calls prepare is collected on the
 * event's {@link Ticket}.
 */
public final class EventRoutes {

    /** A track's event name, for rule tables in routes ({@code ${header.eventName} == 'Order Completed'}). */
    public static final String EVENT_NAME_HEADER = "eventName";

    private final Map<String, List<DefaultConsumer>> entrances = new ConcurrentHashMap<>();
    private final Map<String, Integer> declared = new ConcurrentHashMap<>();

    void register(String destination, DefaultConsumer consumer) {
        entrances.computeIfAbsent(destination, ignored -> new CopyOnWriteArrayList<>()).add(consumer);
    }

    void unregister(String destination, DefaultConsumer consumer) {
        List<DefaultConsumer> consumers = entrances.get(destination);
        if (consumers != null) {
            consumers.remove(consumer);
        }
    }

    public int count(String destination) {
        return entrances.getOrDefault(destination, List.of()).size();
    }

    /** Routes written for a destination (from: events:<destination>), started or not. */
    public int routeCount(String destination) {
        return declared.getOrDefault(destination, 0);
    }

    void declared(String destination) {
        declared.merge(destination, 1, Integer::sum);
    }

    /** Runs every route of the ticket's destination on its event, in route order. */
    public void run(Ticket ticket) {
        for (DefaultConsumer consumer : entrances.getOrDefault(ticket.destination(), List.of())) {
            Exchange exchange = consumer.createExchange(false);
            try {
                exchange.getMessage().setBody(ticket.eventJson());
                exchange.getMessage().setHeader(EventQueue.MESSAGE_ID_PROPERTY, ticket.messageId());
                exchange.getMessage().setHeader(EventQueue.TYPE_PROPERTY, ticket.eventType());
                exchange.getMessage().setHeader(EVENT_NAME_HEADER, ticket.eventName());
                exchange.setProperty(Ticket.EXCHANGE_PROPERTY, ticket);
                consumer.getProcessor().process(exchange);
                if (exchange.getException() != null) {
                    throw exchange.getException();
                }
                String awaiting = exchange.getProperty(IdentityComponent.AWAITING_PROPERTY, String.class);
                if (awaiting != null) {
                    throw new AwaitingIdentity("route " + consumer.getRouteId() + ": " + awaiting);
                }
            } catch (AwaitingIdentity waiting) {
                throw waiting;
            } catch (Exception e) {
                throw new RouteFailure(consumer.getRouteId(), e);
            } finally {
                consumer.releaseExchange(exchange, false);
            }
        }
    }
}
