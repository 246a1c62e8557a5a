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
     * @param action the action's name, or {@code route:<id>} when a route failed before any action
     * @param detail why, for anything but a plain delivery (never credentials)
     */
    default void settled(String destination, String action, JsonNode event, Settlement settlement, int status, String detail) {
    }
}
