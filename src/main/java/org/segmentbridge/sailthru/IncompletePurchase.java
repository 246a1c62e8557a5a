package org.segmentbridge.sailthru;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code incomplete-purchase[?urlPattern=]} (cart events, for abandoned-cart flows): {@code POST /purchase} with {@code incomplete: 1}. */
final class IncompletePurchase extends PurchasePost {

    IncompletePurchase(SailthruConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "incomplete-purchase";
    }

    @Override
    public String description() {
        return "records the cart as an incomplete purchase, for abandoned-cart flows: POST /purchase with incomplete 1";
    }

    @Override
    void finish(ObjectNode purchase, JsonNode properties) {
        purchase.put("incomplete", 1);
    }
}
