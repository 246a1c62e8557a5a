package org.segmentbridge.iterable;

import java.math.BigDecimal;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.ActionException;

/**
 * {@code purchase}: {@code POST /api/commerce/trackPurchase} with {@code id} = the order id (a resent order updates
 * instead of doubling), the user and items ({@link Commerce}), {@code total} (the event's total, else its revenue,
 * else the items' sum) and {@code createdAt}.
 */
final class Purchase extends Commerce {

    Purchase() {
        super("/api/commerce/trackPurchase");
    }

    @Override
    public String name() {
        return "purchase";
    }

    @Override
    public String description() {
        return "tracks an order, id = properties.order_id: POST /api/commerce/trackPurchase";
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        JsonNode properties = event.path("properties");
        if (!properties.hasNonNull("order_id")) {
            throw new ActionException("iterable purchase needs properties.order_id (the purchase id)");
        }
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        body.put("id", properties.get("order_id").asText());
        BigDecimal sum = addUserAndItems(body, input);
        JsonNode total = properties.hasNonNull("total") ? properties.get("total") : properties.get("revenue");
        body.put("total", total != null && total.isNumber() ? total.decimalValue() : sum);
        body.put("createdAt", IterableConnector.createdAt(event));
        return List.of(new Item("", event.path("messageId").asText(), body));
    }
}
