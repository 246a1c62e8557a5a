package org.segmentbridge.delivery;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The connector of a made-up vendor, just enough to exercise the delivery engine against WireMock:
 * <ul>
 *   <li>{@code single}: {@code POST /events}, one event per request, {@code Idempotency-Key} = messageId;</li>
 *   <li>{@code bulk}: {@code POST /lists/{list}/members} with {@code {"members":[...]}}; a 200 may name
 *       rejected members in {@code {"failed":[{"id":..,"error":..}]}}.</li>
 * </ul>
 * Authentication: {@code X-Api-Key} from {@code bridge.destination.<name>.api-key}.
 */
public final class FakeVendorConnector implements Connector {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Actions actions = new Actions("the fake vendor", new Single(), new Bulk());

    @Override
    public Actions actions() {
        return actions;
    }

    @Override
    public boolean hasCredentials(DestinationSettings settings) {
        return settings.value("api-key").isPresent();
    }

    @Override
    public String credentialId(DestinationSettings settings) {
        return "fake:" + settings.name();
    }

    @Override
    public OutboundRequest authorize(OutboundRequest request, DestinationSettings settings) {
        return request.withHeader("X-Api-Key", settings.requiredValue("api-key"));
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of("X-Api-Key");
    }

    private static ObjectNode member(JsonNode event) {
        ObjectNode member = JSON.createObjectNode();
        member.put("id", event.path("messageId").asText());
        member.put("user", event.path("userId").asText(event.path("anonymousId").asText()));
        return member;
    }

    private static final class Single implements Action {
        @Override
        public String name() {
            return "single";
        }

        @Override
        public String description() {
            return "sends one event: POST /events";
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
        public List<Item> prepare(Input input) {
            JsonNode event = input.event();
            String email = event.path("context").path("traits").path("email").asText(null);
            if (!event.hasNonNull("userId") && email == null) {
                throw new ActionException("userId or an email is required by the fake vendor's single action");
            }
            ObjectNode payload = member(event);
            if (email != null) {
                payload.put("email", email);
            }
            payload.put("event", event.path("event").asText());
            return List.of(new Item("", event.path("messageId").asText(), payload));
        }

        @Override
        public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
            return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/events"), items.get(0).payload().toString())
                    .withHeader("Idempotency-Key", items.get(0).idempotencyKey());
        }

        @Override
        public List<Verdict> read(VendorAnswer answer, List<Item> items) {
            return Verdict.byStatus(answer, items.size());
        }
    }

    private static final class Bulk implements Action {
        private static final ActionParameter LIST = ActionParameter.text("list", "the list the members join").defaultsTo("default");

        @Override
        public String name() {
            return "bulk";
        }

        @Override
        public String description() {
            return "adds members to a list: POST /lists/{list}/members";
        }

        @Override
        public List<ActionParameter> parameters() {
            return List.of(LIST);
        }

        @Override
        public BatchLimits limits() {
            return new BatchLimits(1000, 1024 * 1024);
        }

        @Override
        public List<Item> prepare(Input input) {
            ObjectNode member = member(input.event());
            if (!input.fields().isEmpty()) {
                member.set("fields", input.fields());
            }
            return List.of(new Item(input.parameter(LIST), input.event().path("messageId").asText(), member));
        }

        @Override
        public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode members = body.putArray("members");
            items.forEach(item -> members.add(item.payload()));
            return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/lists/" + group + "/members"), body.toString());
        }

        @Override
        public List<Verdict> read(VendorAnswer answer, List<Item> items) {
            if (!answer.isSuccess()) {
                return Verdict.byStatus(answer, items.size());
            }
            JsonNode failed;
            try {
                failed = JSON.readTree(answer.body()).path("failed");
            } catch (java.io.IOException e) {
                throw new IllegalStateException("the answer is not JSON", e);
            }
            List<Verdict> verdicts = new ArrayList<>();
            for (Item item : items) {
                Verdict verdict = Verdict.DELIVERED;
                for (JsonNode failure : failed) {
                    if (item.idempotencyKey().equals(failure.path("id").asText())) {
                        verdict = new Verdict.Failed(answer.status(), "member_rejected", failure.path("error").asText());
                    }
                }
                verdicts.add(verdict);
            }
            return verdicts;
        }
    }
}
