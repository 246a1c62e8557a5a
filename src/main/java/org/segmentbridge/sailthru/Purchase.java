package org.segmentbridge.sailthru;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code purchase} (Order Completed) and {@code incomplete-purchase} (cart events, for abandoned-cart flows):
 * {@code POST /purchase} with items in integer cents, each with the {@code url} Sailthru requires (the product's, else
 * the route's {@code urlPattern} with {@code {product_id}} / {@code {sku}}), shipping and tax as adjustments and the
 * discount as a negative one, the order id as {@code purchase_keys.extid}, and {@code message_id} from
 * {@code sailthru_bid} for revenue attribution. The email comes from the identity store, else Sailthru's
 * {@code GET /user} by extid.
 */
final class Purchase implements Action {

    private static final String LOOKUP = "extid:";

    private final SailthruConnector connector;
    private final boolean incomplete;

    Purchase(SailthruConnector connector, boolean incomplete) {
        this.connector = connector;
        this.incomplete = incomplete;
    }

    @Override
    public String name() {
        return incomplete ? "incomplete-purchase" : "purchase";
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(40, Duration.ofSeconds(1)));
    }

    @Override
    public void validate(Map<String, String> parameters) {
        Set<String> unknown = new java.util.TreeSet<>(parameters.keySet());
        unknown.remove("urlPattern");
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(name() + " takes urlPattern, not " + unknown);
        }
    }

    @Override
    public List<Item> prepare(Input input) {
        JsonNode event = input.event();
        JsonNode properties = event.path("properties");
        ObjectNode purchase = SailthruConnector.JSON.createObjectNode();
        Optional<String> email = SailthruConnector.email(input);
        String userId = event.path("userId").asText("");
        if (email.isEmpty() && userId.isEmpty()) {
            throw new ActionException("sailthru " + name() + " needs the buyer's email or userId");
        }
        email.ifPresent(value -> purchase.put("email", value));
        ArrayNode items = purchase.putArray("items");
        JsonNode products = properties.path("products");
        if (products.isArray()) {
            for (int index = 0; index < products.size(); index++) {
                items.add(item(products.get(index), "products[" + index + "]", input.parameter("urlPattern", "")));
            }
        } else if (properties.has("product_id") || properties.has("sku")) {
            items.add(item(properties, "properties", input.parameter("urlPattern", "")));
        }
        purchase.put("incomplete", incomplete ? 1 : 0);
        if (!incomplete) {
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
        JsonNode bid = properties.hasNonNull("sailthru_bid") ? properties.get("sailthru_bid") : event.path("context").path("sailthru_bid");
        if (bid.isTextual() && !bid.asText().isBlank()) {
            purchase.put("message_id", bid.asText());
        }
        return List.of(new Item(email.isPresent() ? "" : LOOKUP + userId, event.path("messageId").asText(), purchase));
    }

    private static ObjectNode item(JsonNode product, String path, String urlPattern) {
        ObjectNode item = SailthruConnector.JSON.createObjectNode();
        item.put("qty", product.path("quantity").asInt(1));
        item.put("title", product.path("name").asText(product.path("title").asText("")));
        if (!product.path("price").isNumber() && !product.path("price").isTextual()) {
            throw new ActionException(path + ".price is required by Sailthru (a number), got " + product.path("price").getNodeType().name().toLowerCase());
        }
        item.put("price", cents(product.path("price"), path + ".price"));
        String id = product.path("sku").asText(product.path("product_id").asText(""));
        item.put("id", id);
        String url = product.path("url").asText("");
        if (url.isEmpty() && !urlPattern.isEmpty()) {
            url = urlPattern.replace("{product_id}", product.path("product_id").asText(id)).replace("{sku}", id);
        }
        if (url.isEmpty()) {
            throw new ActionException(path + ".url is required by Sailthru; set urlPattern on the route for products without one");
        }
        item.put("url", url);
        if (product.hasNonNull("category")) {
            item.putArray("tags").add(product.get("category").asText());
        }
        if (product.hasNonNull("image_url")) {
            item.putObject("images").putObject("full").put("url", product.get("image_url").asText());
        }
        return item;
    }

    private static void adjustment(ArrayNode adjustments, String title, JsonNode amount, boolean negative) {
        if (amount.isNumber() || amount.isTextual()) {
            long cents = cents(amount, title.toLowerCase());
            if (cents != 0) {
                adjustments.addObject().put("title", title).put("price", negative ? -Math.abs(cents) : cents);
            }
        }
    }

    /** Sailthru wants prices as whole cents. */
    private static long cents(JsonNode amount, String path) {
        try {
            return new BigDecimal(amount.asText().trim()).movePointRight(2).setScale(0, RoundingMode.HALF_UP).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ActionException(path + " must be a number of currency units, got a " + amount.getNodeType().name().toLowerCase());
        }
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        ObjectNode purchase = ((ObjectNode) items.get(0).payload()).deepCopy();
        if (group.startsWith(LOOKUP)) {
            String userId = group.substring(LOOKUP.length());
            purchase.put("email", connector.hasCredentials(settings)
                    ? connector.emailOfUser(userId, settings)
                    : "(email of extid " + userId + ", looked up with GET /user)");
        }
        return SailthruRequests.build("POST", "/purchase", purchase, settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return SailthruAnswers.read(answer);
    }
}
