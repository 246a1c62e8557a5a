package org.segmentbridge.privacy;

import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import org.segmentbridge.steps.StepEndpoint;
import org.segmentbridge.privacy.SuppressionStore.Consent;
import org.segmentbridge.privacy.SuppressionStore.State;

/**
 * {@code consent:require?channel=email}: the send guard. A route that markets to people puts it before its vendor
 * call; the route stops (and the event is counted) for a person who opted out of the channel or was erased. Routes
 * that only keep a profile up to date leave it out, so an opted-out person's profile still follows Segment.
 * It reads the store when the event is delivered, so an opt-out that arrived meanwhile already counts: through the
 * store's memory of consent, exact within this bridge, and at most {@code SuppressionStore.READ_EVERY} (250 ms)
 * behind another bridge's change on a shared database.
 */
public final class ConsentComponent extends DefaultComponent {

    private final ConsentChanges consent;
    private final Erasures erasures;
    private final MeterRegistry meters;

    public ConsentComponent(ConsentChanges consent, Erasures erasures, MeterRegistry meters) {
        this.consent = consent;
        this.erasures = erasures;
        this.meters = meters;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!"require".equals(remaining)) {
            throw new IllegalArgumentException("consent:" + remaining + " is not a consent step; use consent:require?channel=email");
        }
        Object channelParameter = parameters.remove("channel");
        String channel = channelParameter == null ? ConsentChanges.EMAIL : channelParameter.toString();
        if (!ConsentChanges.EMAIL.equals(channel)) {
            throw new IllegalArgumentException("consent:require: channel '" + channel + "' is not known; the bridge tracks consent for: "
                    + ConsentChanges.EMAIL);
        }
        if (!parameters.isEmpty()) {
            throw new IllegalArgumentException("consent:require has unknown parameters " + parameters.keySet() + "; it takes channel");
        }
        return new StepEndpoint(uri, this, "consent:require", exchange -> {
            JsonNode event = exchange.getMessage().getMandatoryBody(JsonNode.class);
            Optional<String> suppressed = suppressedBecause(event, channel);
            if (suppressed.isPresent()) {
                Counter.builder("bridge.consent.suppressed")
                        .description("Events a send guard stopped, by route and reason")
                        .tag("route", exchange.getFromRouteId() == null ? "" : exchange.getFromRouteId())
                        .tag("reason", suppressed.get()).register(meters).increment();
                exchange.setRouteStop(true);
            }
        });
    }

    private Optional<String> suppressedBecause(JsonNode event, String channel) {
        if (erasures.aboutErased(event)) {
            return Optional.of("erased");
        }
        Optional<Consent> current = consent.suppressions().currentForSending(consent.subjectOf(event), channel);
        return current.filter(known -> known.state() == State.UNSUBSCRIBED).map(known -> "unsubscribed");
    }
}
