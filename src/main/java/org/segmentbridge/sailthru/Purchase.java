package org.segmentbridge.sailthru;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code purchase[?urlPattern=]} (Order Completed): {@code POST /purchase} with shipping and tax as adjustments and the
 * discount as a negative one, and the order id as {@code purchase_keys.extid}.
 */
final class Purchase extends PurchasePost {

    Purchase(SailthruConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "purchase";
    }

    @Override
    public String description() {
        return "records an order, items in cents, shipping, tax and discount as adjustments: POST /purchase";
    }

    @Override
    void finish(ObjectNode purchase, JsonNode properties) {
        purchase.put("incomplete", 0);
        ArrayNode adjustments = SailthruConnector.JSON.createArrayNode();
        adjustment(adjustments, "Shipping", properties.path("shipping"), false);
        adjustment(adjustments, "Tax", properties.path("tax"), false);
        adjustment(adjustments, "Discount", properties.path("discount"), true);
        if (!adjustments.isEmpty()) {
            purchase.set("adjustments", adjustments);
        }
        if (properties.hasNonNull("order_id")) {
            purchase.putObject("purchase_keys").put("extid", properties.get("order_id").asText());
        }
    }

    private static void adjustment(ArrayNode adjustments, String title, JsonNode amount, boolean negative) {
        if (amount.isNumber() || amount.isTextual()) {
            long cents = cents(amount, title.toLowerCase());
            if (cents != 0) {
                adjustments.addObject().put("title", title).put("price", negative ? -Math.abs(cents) : cents);
            }
        }
    }
}
