package org.segmentbridge.admin;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.segmentbridge.delivery.DeliveryService;

/**
 * {@code GET /admin/destinations}, behind the admin token: per destination, how it delivers (live, dry-run or
 * stopped, and why), its queue's depth, its dead letters, what it delivered, retried and dead-lettered and how many
 * 429 answers it saw in the last minute and since the start, and until when its vendor paused it. Read from the
 * bridge's meters and the delivery engine's pacers.
 */
public class DestinationRoutes extends AdminRouteBuilder {

    private final DeliveryService delivery;
    private final MeterRegistry meters;
    private final DeliveryRates rates;

    public DestinationRoutes(Optional<String> token, DeliveryService delivery, MeterRegistry meters, List<String> destinations) {
        super(token);
        this.delivery = delivery;
        this.meters = meters;
        this.rates = new DeliveryRates(meters, destinations, Instant.now());
    }

    @Override
    public void configure() {
        serve("GET", "/admin/destinations").routeId("admin-destinations")
                .process(exchange -> answer(exchange, this::destinations));
        from("timer:admin-delivery-rates?period=" + DeliveryRates.SAMPLE_EVERY.toMillis()).routeId("admin-delivery-rates")
                .process(exchange -> rates.sample(Instant.now()));
    }

    private JsonNode destinations() {
        Instant now = Instant.now();
        ArrayNode destinations = JSON.createArrayNode();
        for (DeliveryService.DestinationStatus status : delivery.statuses()) {
            String name = status.destination();
            ObjectNode node = destinations.addObject().put("destination", name).put("mode", status.mode())
                    .put("why", status.why().orElse(null));
            Gauge depth = meters.find("bridge.queue.depth").tag("destination", name).gauge();
            if (depth == null) {
                node.putNull("queueDepth");
            } else {
                node.put("queueDepth", (long) depth.value());
            }
            node.put("deadLetters", delivery.deadLetters().count(name));
            node.set("lastMinute", counts(rates.lastMinute(name, now)));
            node.set("sinceStart", counts(rates.total(name)));
            node.put("pausedUntil", status.pausedUntil().map(Instant::toString).orElse(null));
            ObjectNode endpointPauses = node.putObject("endpointPauses");
            status.endpointPauses().forEach((action, until) -> endpointPauses.put(action, until.toString()));
        }
        ObjectNode reply = JSON.createObjectNode().put("at", now.toString())
                .put("windowSeconds", DeliveryRates.WINDOW.toSeconds());
        reply.set("destinations", destinations);
        return reply;
    }

    private static ObjectNode counts(DeliveryRates.Counts counts) {
        return JSON.createObjectNode().put("delivered", (long) counts.delivered()).put("retried", (long) counts.retried())
                .put("deadLettered", (long) counts.deadLettered()).put("rateLimited", (long) counts.rateLimited());
    }
}
