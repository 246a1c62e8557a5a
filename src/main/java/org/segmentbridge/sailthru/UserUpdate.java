package org.segmentbridge.sailthru;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.Audiences;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.MissingParameter;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.Rate;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code POST /user}, keyed by email, with the userId attached as {@code extid} ({@code keysconflict: merge}, so a
 * profile known by either joins the other). {@code user}: vars from the route's mapping, flattened; {@code audience}:
 * {@code lists {<audience>: 1|0}} from an Engage audience event; {@code optout?value=none|basic|blast|all}:
 * {@code optout_email}.
 */
final class UserUpdate implements Action {

    enum Kind { VARS, AUDIENCE, OPTOUT }

    private static final Set<String> OPTOUT_VALUES = Set.of("none", "basic", "blast", "all");

    private final String name;
    private final Kind kind;

    UserUpdate(String name, Kind kind) {
        this.name = name;
        this.kind = kind;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public BatchLimits limits() {
        return BatchLimits.single(1024 * 1024);
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(300, Duration.ofSeconds(1)));
    }

    @Override
    public void validate(Map<String, String> parameters) {
        Set<String> allowed = switch (kind) {
            case VARS -> Set.of();
            case AUDIENCE -> Set.of("list");
            case OPTOUT -> Set.of("value");
        };
        Set<String> unknown = new java.util.TreeSet<>(parameters.keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(name + " takes " + (allowed.isEmpty() ? "only a mapping" : allowed) + ", not " + unknown);
        }
        if (kind == Kind.OPTOUT && parameters.getOrDefault("value", "").isBlank()) {
            throw new MissingParameter("optout needs value=none|basic|blast|all");
        }
        if (kind == Kind.OPTOUT && !OPTOUT_VALUES.contains(parameters.getOrDefault("value", ""))) {
            throw new IllegalArgumentException("optout needs value=none|basic|blast|all, got '" + parameters.getOrDefault("value", "") + "'");
        }
    }

    @Override
    public List<Item> prepare(Input input) {
        String email = SailthruConnector.requireEmail(input, name);
        ObjectNode user = SailthruConnector.JSON.createObjectNode().put("id", email).put("key", "email");
        String userId = input.event().path("userId").asText("");
        if (!userId.isEmpty()) {
            user.putObject("keys").put("extid", userId);
            user.put("keysconflict", "merge");
        }
        switch (kind) {
            case VARS -> {
                if (!input.fields().isEmpty()) {
                    user.set("vars", SailthruConnector.flatten(input.fields()));
                }
            }
            case AUDIENCE -> {
                String audience = Audiences.key(input.event());
                Boolean member = Audiences.membership(input.event());
                if (member == null || audience.isEmpty()) {
                    return List.of();
                }
                user.putObject("lists").put(input.parameter("list", audience), member ? 1 : 0);
            }
            case OPTOUT -> user.put("optout_email", input.parameter("value", "all"));
        }
        return List.of(new Item("", input.event().path("messageId").asText(), user));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        return SailthruRequests.build("POST", "/user", items.get(0).payload(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return SailthruAnswers.read(answer);
    }
}
