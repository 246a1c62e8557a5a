package org.segmentbridge.delivery;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;

/**
 * One vendor operation (contact upsert, event trigger, list add ...). Routes call it with parameters through
 * {@code deliver:<destination>:<action>?name=value}; the engine batches what it prepares, sends the request it
 * builds and applies the verdicts it reads, item by item.
 */
public interface Action {

    String name();

    /** One line: what the action does and the request it makes, for the action catalogue ({@code actions}, README). */
    String description();

    /**
     * The parameters a route may give in {@code deliver:<destination>:<action>?name=value}, declared once:
     * {@code deliver:} refuses a route that gives another one or a value of the wrong type, and one that leaves a
     * required one blank (see {@link MissingParameter}). Empty when the action takes none; {@code mapping} is
     * {@code deliver:}'s own and never declared.
     */
    List<ActionParameter> parameters();

    /** The vendor's own limits for one request (1 item for single-event endpoints). Settings may lower them. */
    BatchLimits limits();

    /** A rate limit of this endpoint alone, applied on top of the destination's; empty when it has none. */
    default Optional<Rate> endpointRate() {
        return Optional.empty();
    }

    /**
     * A rule on a route's parameters that their {@link #parameters() declarations} cannot say (one of two is needed
     * ...), checked when the route is built, after the declarations.
     *
     * @throws MissingParameter         when what is missing could be a setting without value
     * @throws IllegalArgumentException naming the parameter otherwise
     */
    default void validate(Map<String, String> parameters) {
    }

    /**
     * Turns one event into the items this action sends (usually one, none when the event does not apply).
     *
     * @throws ActionException when the event lacks what the action needs; the event is dead-lettered with the message
     */
    List<Item> prepare(Input input);

    /**
     * What a route hands an action for one event.
     *
     * @param event      the event (the exchange body at the {@code deliver:} step)
     * @param fields     the vendor fields the route's {@code mapping=} produced; empty without a mapping
     * @param parameters the other parameters of the {@code deliver:} call
     * @param primaryKey the person's primary key when an {@code identity:} step resolved it, else null
     * @param settings   the destination's settings (project type, region ... for vendor-specific rules)
     */
    record Input(JsonNode event, ObjectNode fields, Map<String, String> parameters, String primaryKey,
                 DestinationSettings settings) {
        public String parameter(String name, String fallback) {
            return parameters.getOrDefault(name, fallback);
        }

        /** The route's value of a declared parameter; when the route does not give it, its default, else "". */
        public String parameter(ActionParameter declared) {
            return parameters.getOrDefault(declared.name(), declared.defaultValue() == null ? "" : declared.defaultValue());
        }
    }

    /** The request for one batch: items share {@link Item#group()} and fit the limits. */
    OutboundRequest request(String group, List<Item> items, DestinationSettings settings);

    /** Reads the vendor's answer into one verdict per item, in the order of {@code items}. */
    List<Verdict> read(VendorAnswer answer, List<Item> items);

    /**
     * What an action prepares for one event. Its payload is written as JSON once, when it is prepared: its size for
     * the batch limits, the request bodies that carry it whole and a dead letter all use that text. Written again for
     * each of them, JSON took about 7 % of the bridge's CPU in the processing drain; written once, about 3 %. So a
     * payload is not changed once it is an item's; a request that needs it otherwise builds from the tree or a copy.
     */
    final class Item {

        private final String group;
        private final String idempotencyKey;
        private final JsonNode payload;
        private final String json;
        private final int jsonBytes;

        /**
         * @param group          items are batched only with items of the same group (list id, event id, ...)
         * @param idempotencyKey the key the vendor deduplicates by (messageId, order id ...), also used to match
         *                       per-item errors
         * @param payload        the item's part of the request body
         */
        public Item(String group, String idempotencyKey, JsonNode payload) {
            this.group = group;
            this.idempotencyKey = idempotencyKey;
            this.payload = payload;
            this.json = payload.toString();
            this.jsonBytes = json.getBytes(StandardCharsets.UTF_8).length;
        }

        public String group() {
            return group;
        }

        public String idempotencyKey() {
            return idempotencyKey;
        }

        public JsonNode payload() {
            return payload;
        }

        /** The payload as JSON text, exactly as {@link JsonNode#toString()} writes it. */
        public String json() {
            return json;
        }

        /** The bytes {@link #json()} takes in UTF-8, as a request carries it. */
        public int jsonBytes() {
            return jsonBytes;
        }

        /** Into a JSON array or object being built: the text as it was written, not the tree written again. */
        public RawValue asRawJson() {
            return new RawValue(json);
        }

        @Override
        public String toString() {
            return "Item[group=" + group + ", idempotencyKey=" + idempotencyKey + ", payload=" + json + "]";
        }
    }

    record BatchLimits(int maxItems, long maxBytes) {
        public static BatchLimits single(long maxBytes) {
            return new BatchLimits(1, maxBytes);
        }
    }
}
