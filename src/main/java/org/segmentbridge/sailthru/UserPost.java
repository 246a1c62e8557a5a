package org.segmentbridge.sailthru;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code user}, {@code audience} and {@code optout} share: {@code POST /user} (300/s), keyed by email, with the
 * userId attached as {@code extid} ({@code keysconflict: merge}, so a profile known by either joins the other). Each
 * action adds its own part to the user.
 */
abstract class UserPost implements Action {

    /**
     * Adds what this action sets to the user.
     *
     * @return false when the event has nothing for this action (nothing is sent)
     */
    abstract boolean fill(ObjectNode user, Input input);

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(300, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        String email = SailthruConnector.requireEmail(input, name());
        ObjectNode user = SailthruConnector.JSON.createObjectNode().put("id", email).put("key", "email");
        String userId = input.event().path("userId").asText("");
        if (!userId.isEmpty()) {
            user.putObject("keys").put("extid", userId);
            user.put("keysconflict", "merge");
        }
        if (!fill(user, input)) {
            return List.of();
        }
        return List.of(new Item("", input.event().path("messageId").asText(), user));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return SailthruRequests.build("POST", "/user", items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return SailthruAnswers.read(answer);
    }
}
