package org.segmentbridge.segment;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Actions;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * Segment's HTTP Tracking API, for back-flow: engagement reported by the vendors goes to Segment with
 * {@code POST /v1/batch} (Basic auth, the write key as username), up to 2,500 events and 500 KB a request.
 */
public final class SegmentConnector implements Connector {

    private final Actions actions = new Actions("Segment", new Batch());

    @Override
    public Actions actions() {
        return actions;
    }

    @Override
    public boolean hasCredentials(DestinationSettings settings) {
        return settings.value("write-key").isPresent();
    }

    @Override
    public String credentialId(DestinationSettings settings) {
        return "segment:" + settings.value("write-key").map(key -> key.length() > 4 ? key.substring(0, 4) : key).orElse("none");
    }

    @Override
    public OutboundRequest authorize(OutboundRequest request, DestinationSettings settings) {
        String credentials = settings.requiredValue("write-key") + ":";
        return request.withHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of("Authorization");
    }

    /** {@code batch}: one back-flow event each; an event over Segment's 32 KB is dead-lettered whole, never cut. */
    private static final class Batch implements Action {

        private static final ObjectMapper JSON = new ObjectMapper();
        private static final int MAX_EVENT_BYTES = 32 * 1024;
        /** Segment-specific transient status, retried like a 5xx. */
        private static final Set<Integer> TRANSIENT = Set.of(408, 410, 429, 460);
        /** Server errors that do not pass (analytics-java does not retry them): refused like a 4xx. */
        private static final Set<Integer> LASTING = Set.of(501, 505, 511);

        @Override
        public String name() {
            return "batch";
        }

        @Override
        public String description() {
            return "sends engagement the vendors reported back to Segment, sentAt per request: POST /v1/batch";
        }

        @Override
        public List<ActionParameter> parameters() {
            return List.of();
        }

        @Override
        public BatchLimits limits() {
            return new BatchLimits(2500, 500 * 1024);
        }

        @Override
        public List<Item> prepare(Input input) {
            ObjectNode event = ((ObjectNode) input.event()).deepCopy();
            // Segment stamps its own receivedAt; the bridge's bookkeeping under context.bridge is not Segment's.
            event.remove("receivedAt");
            if (event.path("context").isObject()) {
                ((ObjectNode) event.get("context")).remove("bridge");
            }
            Item item = new Item("", event.path("messageId").asText(), event);
            if (item.jsonBytes() > MAX_EVENT_BYTES) {
                throw new ActionException("the event is " + item.jsonBytes() + " bytes; Segment takes at most "
                        + MAX_EVENT_BYTES + " bytes an event");
            }
            return List.of(item);
        }

        @Override
        public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
            ObjectNode body = JSON.createObjectNode();
            items.forEach(item -> body.withArray("batch").addRawValue(item.asRawJson()));
            body.put("sentAt", Instant.now().toString());
            return OutboundRequest.json("POST", URI.create(settings.baseUrl() + "/v1/batch"), body.toString());
        }

        @Override
        public List<Verdict> read(VendorAnswer answer, List<Item> items) {
            if (TRANSIENT.contains(answer.status()) || (answer.status() >= 500 && !LASTING.contains(answer.status()))) {
                return Verdict.all(items.size(), new Verdict.Retry(answer.retryAfter(Instant.now()).orElse(Duration.ZERO),
                        "HTTP " + answer.status()));
            }
            if (LASTING.contains(answer.status())) {
                // Verdict.byStatus would retry them as it retries every 5xx.
                String message = "HTTP " + answer.status();
                return Verdict.all(items.size(), items.size() > 1
                        ? new Verdict.SplitBatch(answer.status(), message) : new Verdict.Failed(answer.status(), null, message));
            }
            return Verdict.byStatus(answer, items.size());
        }
    }

}
