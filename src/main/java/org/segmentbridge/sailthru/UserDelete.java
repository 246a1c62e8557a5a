package org.segmentbridge.sailthru;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/** {@code user-delete}: {@code DELETE /user} for the person's email. A user Sailthru does not know (99/404) is already gone. */
final class UserDelete implements Action {

    @Override
    public String name() {
        return "user-delete";
    }

    @Override
    public String description() {
        return "deletes the profile: DELETE /user; a user Sailthru does not know (99/404) counts as done";
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
        return Optional.of(new Rate(40, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        String email = SailthruConnector.requireEmail(input, name());
        return List.of(new Item("", input.event().path("messageId").asText(),
                SailthruConnector.JSON.createObjectNode().put("id", email).put("key", "email")));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return SailthruRequests.build("DELETE", "/user", items.get(0).json(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return answer.status() == 404 ? List.of(Verdict.DELIVERED) : SailthruAnswers.read(answer);
    }
}
