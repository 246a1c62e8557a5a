package org.segmentbridge.delivery;

import java.time.Instant;

/** One item on its way to a vendor: what an action prepared, plus its attempts so far. */
final class DeliveryItem {

    private final Ticket ticket;
    private final String routeId;
    private final Action action;
    private final Action.Item item;
    private int attempts;
    private Instant firstAttempt;

    DeliveryItem(Ticket ticket, String routeId, Action action, Action.Item item) {
        this.ticket = ticket;
        this.routeId = routeId;
        this.action = action;
        this.item = item;
    }

    Ticket ticket() {
        return ticket;
    }

    /** The route whose deliver: call prepared the item. */
    String routeId() {
        return routeId;
    }

    Action action() {
        return action;
    }

    Action.Item item() {
        return item;
    }

    String batchKey() {
        return batchKey(action, item.group());
    }

    /** Items of one action and group may share a request. */
    static String batchKey(Action action, String group) {
        return action.name() + "\u0000" + group;
    }

    /** What the item's payload takes in a request body. */
    int bytes() {
        return item.jsonBytes();
    }

    int attempts() {
        return attempts;
    }

    Instant firstAttempt() {
        return firstAttempt;
    }

    void attempted(Instant now) {
        attempts++;
        if (firstAttempt == null) {
            firstAttempt = now;
        }
    }

    /** A split re-sends the halves of a batch the vendor refused whole; that is not one of the item's attempts. */
    void attemptNotCounted() {
        attempts--;
    }
}
