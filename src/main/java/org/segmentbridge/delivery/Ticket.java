package org.segmentbridge.delivery;

import java.util.ArrayList;
import java.util.List;

/**
 * One queued event at one destination, from the moment it is read until every item the routes prepared for it is
 * delivered or dead-lettered; only then is the queue message acknowledged. The routes' {@code deliver:} calls add
 * items to it through the exchange property {@link #EXCHANGE_PROPERTY}.
 */
public final class Ticket {

    public static final String EXCHANGE_PROPERTY = "bridgeDeliveryTicket";

    private final String destination;
    private final String messageId;
    private final String eventType;
    private final String eventName;
    private final String eventJson;
    /** Let go when delivery starts, unless {@link #followed}: what goes out from then on is the items' payloads. */
    private com.fasterxml.jackson.databind.JsonNode event;
    /** The delivery observer hears of this event's items ({@link DeliveryObserver#follows}). */
    private final boolean followed;
    private final String personKey;
    private final org.segmentbridge.queue.QueuedMessage queueMessage;
    private final List<DeliveryItem> items = new ArrayList<>();
    private int outstanding;
    /** Some item of it went to the vendor, or is settled: a stop finishes it rather than give it back half done. */
    private boolean begun;

    Ticket(String destination, com.fasterxml.jackson.databind.JsonNode event, String eventJson, String personKey,
           org.segmentbridge.queue.QueuedMessage queueMessage, boolean followed) {
        this.destination = destination;
        this.messageId = event.path("messageId").asText("");
        this.eventType = event.path("type").asText("");
        this.eventName = event.hasNonNull("event") ? event.get("event").asText() : null;
        this.event = event;
        this.eventJson = eventJson;
        this.personKey = personKey;
        this.queueMessage = queueMessage;
        this.followed = followed;
    }

    public String destination() {
        return destination;
    }

    void add(String routeId, Action action, List<Action.Item> prepared) {
        for (Action.Item item : prepared) {
            items.add(new DeliveryItem(this, routeId, action, item));
        }
    }

    List<DeliveryItem> items() {
        return items;
    }

    String messageId() {
        return messageId;
    }

    String eventType() {
        return eventType;
    }

    /** The track's {@code event}, or null. */
    String eventName() {
        return eventName;
    }

    /** The event, parsed once when it was read; until its delivery starts, or throughout when {@link #followed()}. */
    com.fasterxml.jackson.databind.JsonNode event() {
        if (event == null) {
            throw new IllegalStateException("the parsed event of messageId " + messageId + " is not kept once its delivery started");
        }
        return event;
    }

    boolean followed() {
        return followed;
    }

    String eventJson() {
        return eventJson;
    }

    String personKey() {
        return personKey;
    }

    org.segmentbridge.queue.QueuedMessage queueMessage() {
        return queueMessage;
    }

    void keepOnly(String actionName) {
        items.removeIf(item -> !item.action().name().equals(actionName));
    }

    void discardItems() {
        items.clear();
    }

    /** Drops the items added from position {@code first} on: what a route that then failed had prepared. */
    void discardItemsFrom(int first) {
        items.subList(first, items.size()).clear();
    }

    void startDelivery() {
        outstanding = items.size();
        if (!followed) {
            event = null;
        }
    }

    void begin() {
        begun = true;
    }

    boolean begun() {
        return begun;
    }

    /** @return true when this was the last open item: the event is done at this destination */
    boolean itemDone() {
        return --outstanding == 0;
    }
}
