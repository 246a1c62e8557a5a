package org.segmentbridge.iterable;

import java.math.BigDecimal;
import java.net.URI;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code purchase}: {@code POST /api/commerce/trackPurchase} with {@code id} = the order id (a resent order updates
 * instead of doubling), {@code total} and {@code createdAt}; {@code cart}: {@code POST /api/commerce/updateCart}, which
 * replaces the cart. Items carry id, name, price (currency units), quantity, sku, categories, imageUrl and url; a
 * product's other keys go into the item's dataFields, the reserved ones never twice.
 */
final class Commerce implements Action {

    private static final Set<String> RESERVED = Set.of("product_id", "id", "sku", "name", "price", "quantity", "category",
            "categories", "image_url", "url", "description");

    private final boolean purchase;

    Commerce(boolean purchase) {
        this.purchase = purchase;
    }

    @Override
    public String name() {
        return purchase ? "purchase" : "cart";
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        JsonNode properties = event.path("properties");
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        if (purchase) {
            if (!properties.hasNonNull("order_id")) {
                throw new ActionException("iterable purchase needs properties.order_id (the purchase id)");
            }
            body.put("id", properties.get("order_id").asText());
        }
        body.set("user", IterableConnector.identifier(input, name()));
        ArrayNode items = body.putArray("items");
        JsonNode products = properties.path("products");
        BigDecimal sum = BigDecimal.ZERO;
        if (products.isArray()) {
            for (int index = 0; index < products.size(); index++) {
                ObjectNode item = item(products.get(index), "properties.products[" + index + "]");
                items.add(item);
                sum = sum.add(item.get("price").decimalValue().multiply(BigDecimal.valueOf(item.get("quantity").asLong())));
            }
        } else if (properties.has("product_id") || properties.has("sku")) {
            ObjectNode item = item(properties, "properties");
            items.add(item);
            sum = sum.add(item.get("price").decimalValue().multiply(BigDecimal.valueOf(item.get("quantity").asLong())));
        }
        if (purchase) {
            JsonNode total = properties.hasNonNull("total") ? properties.get("total") : properties.get("revenue");
            body.put("total", total != null && total.isNumber() ? total.decimalValue() : sum);
            body.put("createdAt", IterableConnector.createdAt(event));
        }
        return List.of(new Item("", event.path("messageId").asText(), body));
    }

    private static ObjectNode item(JsonNode product, String path) {
        ObjectNode item = IterableConnector.JSON.createObjectNode();
        String id = product.path("product_id").asText(product.path("sku").asText(""));
        if (id.isEmpty() || !product.hasNonNull("name") || !(product.path("price").isNumber() || product.path("price").isTextual())) {
            throw new ActionException(path + " needs product_id (or sku), name and price for Iterable");
        }
        item.put("id", id);
        item.put("name", product.get("name").asText());
        item.put("price", new BigDecimal(product.get("price").asText()));
        item.put("quantity", product.path("quantity").asInt(1));
        if (product.hasNonNull("sku")) {
            item.put("sku", product.get("sku").asText());
        }
        if (product.hasNonNull("description")) {
            item.put("description", product.get("description").asText());
        }
        if (product.hasNonNull("category")) {
            item.putArray("categories").add(product.get("category").asText());
        }
        if (product.hasNonNull("image_url")) {
            item.put("imageUrl", product.get("image_url").asText());
        }
        if (product.hasNonNull("url")) {
            item.put("url", product.get("url").asText());
        }
        ObjectNode extra = IterableConnector.JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = product.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!RESERVED.contains(field.getKey())) {
                extra.set(field.getKey(), field.getValue());
            }
        }
        if (!extra.isEmpty()) {
            item.set("dataFields", IterableConnector.withIterableDates(extra));
        }
        return item;
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return OutboundRequest.json("POST", URI.create(settings.baseUrl() + (purchase ? "/api/commerce/trackPurchase" : "/api/commerce/updateCart")),
                items.get(0).payload().toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
