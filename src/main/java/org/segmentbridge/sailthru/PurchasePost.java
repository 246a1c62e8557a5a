package org.segmentbridge.sailthru;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code purchase} and {@code incomplete-purchase} share: {@code POST /purchase} (40/s) with items in integer
 * cents, each with the {@code url} Sailthru requires (the product's, else the route's {@code urlPattern} with
 * {@code {product_id}} / {@code {sku}}), and {@code message_id} from {@code sailthru_bid} for revenue attribution.
 * The email comes from the identity store, else Sailthru's {@code GET /user} by extid.
 */
abstract class PurchasePost implements Action {

    private static final String LOOKUP = "extid:";
    private static final ActionParameter URL_PATTERN = ActionParameter.text("urlPattern",
            "the url of a product that has none, {product_id} and {sku} filled in");

    private final SailthruConnector connector;

    PurchasePost(SailthruConnector connector) {
        this.connector = connector;
    }

    /** Adds what tells a complete purchase from an incomplete one ({@code incomplete}, adjustments, order id). */
    abstract void finish(ObjectNode purchase, JsonNode properties);

    @Override
    public List<ActionParameter> parameters() {
        return List.of(URL_PATTERN);
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
        String urlPattern = input.parameter(URL_PATTERN);
        if (products.isArray()) {
            for (int index = 0; index < products.size(); index++) {
                items.add(item(products.get(index), "products[" + index + "]", urlPattern));
            }
        } else if (properties.has("product_id") || properties.has("sku")) {
            items.add(item(properties, "properties", urlPattern));
        }
        finish(purchase, properties);
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

    /** Sailthru wants prices as whole cents. */
    static long cents(JsonNode amount, String path) {
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
        return SailthruRequests.build("POST", "/purchase", purchase.toString(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return SailthruAnswers.read(answer);
    }
}
