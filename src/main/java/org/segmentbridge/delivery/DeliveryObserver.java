package org.segmentbridge.delivery;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Lets another capability take part in every destination's delivery without the engine knowing it: it may keep an
 * event from a destination's routes, and it hears what became of each item (the privacy audit follows erasures
 * this way).
 */
public interface DeliveryObserver {

    DeliveryObserver NONE = new DeliveryObserver() {
    };

    enum Settlement {
        DELIVERED, SKIPPED, RECORDED, RETRYING, DEAD_LETTERED, NOT_ROUTED
    }

    /** False keeps the event from every route of the destination; it is acknowledged and counted. */
    default boolean admits(JsonNode event) {
        return true;
    }

    /**
     * True when this observer wants to hear what becomes of the event's items ({@link #settled}). Asked once per event
     * and destination, before its routes run: the parsed event of one it does not follow is let go once its items are
     * prepared, so that the events held while their requests are out cost the heap only what is sent.
     */
    default boolean follows(JsonNode event) {
        return false;
    }

    /**
     * Called only for the events this observer {@link #follows}.
     *
     * @param action the action's name, or {@code route:<id>} when a route failed before any action
     * @param detail why, for anything but a plain delivery (never credentials)
     */
    default void settled(String destination, String action, JsonNode event, Settlement settlement, int status, String detail) {
    }
}
