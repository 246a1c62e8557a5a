package org.segmentbridge.iterable;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code erase}: by the destination's {@code delete-mode}, {@code forget} ({@code POST /api/users/forget}: GDPR, also
 * blocks future collection; 3/s) or {@code delete} ({@code DELETE /api/users/{email}} or {@code /byUserId/{userId}}).
 */
final class Erase implements Action {

    @Override
    public String name() {
        return "erase";
    }

    @Override
    public String description() {
        return "erases the user by the destination's delete-mode setting: forget (POST /api/users/forget, GDPR) or delete "
                + "(DELETE /api/users/{email})";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of();
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(64 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(3, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        String mode = input.settings().value("delete-mode").orElse("forget");
        if (!mode.equals("forget") && !mode.equals("delete")) {
            throw new org.segmentbridge.delivery.ActionException("Setting bridge.destination." + input.settings().name()
                    + ".delete-mode must be forget or delete, got '" + mode + "'");
        }
        return List.of(new Item(mode, input.event().path("messageId").asText(), IterableConnector.identifier(input, name())));
    }

    @Override
    public OutboundRequest request(String mode, List<Item> items, DestinationSettings settings) {
        if (mode.equals("forget")) {
            return IterableConnector.post("/api/users/forget", items.get(0).json(), settings);
        }
        ObjectNode who = (ObjectNode) items.get(0).payload();
        String path = who.has("email")
                ? "/api/users/" + URLEncoder.encode(who.get("email").asText(), StandardCharsets.UTF_8)
                : "/api/users/byUserId/" + URLEncoder.encode(who.get("userId").asText(), StandardCharsets.UTF_8);
        return new OutboundRequest("DELETE", URI.create(settings.baseUrl() + path), Map.of(), new byte[0]);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return answer.status() == 404 ? List.of(Verdict.DELIVERED) : IterableAnswers.read(answer, items);
    }
}
