package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code cart}: {@code POST /api/commerce/updateCart} with the user and the items ({@link Commerce}), which replace the cart. */
final class Cart extends Commerce {

    Cart() {
        super("/api/commerce/updateCart");
    }

    @Override
    public String name() {
        return "cart";
    }

    @Override
    public String description() {
        return "replaces the user's cart with the event's products: POST /api/commerce/updateCart";
    }

    @Override
    public List<Item> prepare(Input input) {
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        addUserAndItems(body, input);
        return List.of(new Item("", input.event().path("messageId").asText(), body));
    }
}
