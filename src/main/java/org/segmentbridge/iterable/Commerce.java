package org.segmentbridge.iterable;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code purchase} and {@code cart} share: one event a request to a commerce endpoint, with the user and the
 * items of an ecommerce event. Items carry id, name, price (currency units), quantity, sku, categories, imageUrl and
 * url; a product's other keys go into the item's dataFields, the reserved ones never twice.
 */
abstract class Commerce implements Action {

    private static final Set<String> RESERVED = Set.of("product_id", "id", "sku", "name", "price", "quantity", "category",
            "categories", "image_url", "url", "description");

    private final String path;

    /** @param path the endpoint, e.g. {@code /api/commerce/updateCart} */
    Commerce(String path) {
        this.path = path;
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of();
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return IterableConnector.post(path, items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }

    /**
     * Adds {@code user} and {@code items} (from {@code properties.products}, else the properties themselves when they
     * describe one product) to the body.
     *
     * @return the items' sum of price × quantity
     */
    BigDecimal addUserAndItems(ObjectNode body, Input input) {
        JsonNode properties = input.event().path("properties");
        body.set("user", IterableConnector.identifier(input, name()));
        ArrayNode items = body.putArray("items");
        JsonNode products = properties.path("products");
        if (products.isArray()) {
            for (int index = 0; index < products.size(); index++) {
                items.add(item(products.get(index), "properties.products[" + index + "]"));
            }
        } else if (properties.has("product_id") || properties.has("sku")) {
            items.add(item(properties, "properties"));
        }
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode item : items) {
            sum = sum.add(item.get("price").decimalValue().multiply(BigDecimal.valueOf(item.get("quantity").asLong())));
        }
        return sum;
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
}
