package org.segmentbridge.delivery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.DefaultConsumer;
import org.segmentbridge.identity.AwaitingIdentity;
import org.segmentbridge.identity.IdentityComponent;
import org.segmentbridge.observe.LogContext;
import org.segmentbridge.queue.EventQueue;

/**
 * The routes that start with {@code from: events:<destination>}: every event read for a destination is handed to
 * each of them in turn (one route per use case), and what their {@code deliver:} calls prepare is collected on the
 * event's {@link Ticket}. A route whose {@link RouteGate} refuses the event's type and name is passed over without an
 * exchange: it would have done nothing with the event.
 *
 * <p>The turn is the route's {@code order} ({@code from: events:<destination>?order=1}), compared only among the
 * routes of the same destination; routes without one come after those with one, by route id. Two routes of one
 * destination with the same order would run in no defined order, so that stops the start.
 */
public final class EventRoutes {

    /** A track's event name, for rule tables in routes ({@code ${header.eventName} == 'Order Completed'}). */
    public static final String EVENT_NAME_HEADER = "eventName";

    /**
     * One route's entrance, where its destination's events come in, its turn among them, and its gate (which events it
     * can act on, known once it has started).
     */
    record Entrance(DefaultConsumer consumer, Integer order, RouteGate gate) {

        Entrance(DefaultConsumer consumer, Integer order) {
            this(consumer, order, RouteGate.OPEN);
        }

        static final Comparator<Entrance> TURN = Comparator.comparing(Entrance::order, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(Entrance::routeId);

        String routeId() {
            return consumer.getRoute().getRouteId();
        }

        /** The route's file, for messages about it. */
        String file() {
            Resource file = consumer.getRoute().getSourceResource();
            return file == null ? "not from a file" : file.getLocation();
        }
    }

    private final Map<String, List<Entrance>> declared = new ConcurrentHashMap<>();
    private final Map<String, List<Entrance>> started = new ConcurrentHashMap<>();

    /** A route was built: its order is checked against the destination's other routes, started or not. */
    synchronized void declare(String destination, Entrance entrance) {
        List<Entrance> routes = declared.computeIfAbsent(destination, ignored -> new CopyOnWriteArrayList<>());
        if (routes.stream().anyMatch(known -> known.consumer() == entrance.consumer())) {
            return; // Camel may hand a consumer its route more than once
        }
        if (entrance.order() != null) {
            for (Entrance other : routes) {
                if (entrance.order().equals(other.order())) {
                    throw new IllegalArgumentException("routes " + other.routeId() + " (" + other.file() + ") and "
                            + entrance.routeId() + " (" + entrance.file() + ") both take order " + entrance.order()
                            + " at destination " + destination + ", so which runs first on an event is undefined: give"
                            + " each route of a destination its own order (from: events:" + destination + "?order=<n>)");
                }
            }
        }
        routes.add(entrance);
    }

    synchronized void register(String destination, Entrance entrance) {
        List<Entrance> routes = new ArrayList<>(started.getOrDefault(destination, List.of()));
        routes.add(new Entrance(entrance.consumer(), entrance.order(), RouteGate.of(entrance.consumer().getRoute())));
        routes.sort(Entrance.TURN);
        started.put(destination, List.copyOf(routes));
    }

    synchronized void unregister(String destination, DefaultConsumer consumer) {
        List<Entrance> routes = new ArrayList<>(started.getOrDefault(destination, List.of()));
        routes.removeIf(entrance -> entrance.consumer() == consumer);
        started.put(destination, List.copyOf(routes));
    }

    public int count(String destination) {
        return started.getOrDefault(destination, List.of()).size();
    }

    /** Routes written for a destination (from: events:<destination>), started or not. */
    public int routeCount(String destination) {
        return declared.getOrDefault(destination, List.of()).size();
    }

    /**
     * Runs the destination's routes on the ticket's event, in their order. A route that throws does not stop the
     * others: what it prepared is dropped from the ticket and it is returned as failed, so only its own work is lost.
     *
     * @param onlyRoute the one route to run (a failed route's dead letter being replayed), or null for all of them
     * @return the routes that failed, in order
     * @throws AwaitingIdentity when a route waits for the person's key: the key is missing for every route, so the
     *                          whole event waits and runs through all of them again once the key is known
     */
    List<RouteFailure> run(Ticket ticket, String onlyRoute) {
        List<RouteFailure> failures = new ArrayList<>();
        for (Entrance entrance : started.getOrDefault(ticket.destination(), List.of())) {
            if (onlyRoute != null && !onlyRoute.equals(entrance.routeId())
                    || !entrance.gate().admits(ticket.eventType(), ticket.eventName(), ticket.event())) {
                continue;
            }
            int itemsBefore = ticket.items().size();
            try (LogContext ignored = LogContext.with(LogContext.ROUTE, entrance.routeId())) {
                runOne(entrance.consumer(), ticket);
            } catch (AwaitingIdentity waiting) {
                throw waiting;
            } catch (Exception e) {
                ticket.discardItemsFrom(itemsBefore);
                failures.add(new RouteFailure(entrance.routeId(), e));
            }
        }
        return failures;
    }

    private static void runOne(DefaultConsumer consumer, Ticket ticket) throws Exception {
        Exchange exchange = consumer.createExchange(false);
        try {
            // The event as the reader parsed it, shared by the destination's routes: steps read it, none changes it in
            // place (identity: writes the key into a copy), so no route sees another's changes.
            exchange.getMessage().setBody(ticket.event());
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
        } finally {
            consumer.releaseExchange(exchange, false);
        }
    }
}
