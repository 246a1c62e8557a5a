package org.segmentbridge.privacy;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.privacy.SuppressionStore.State;

/**
 * What an event says about a person's email consent: an {@code Unsubscribed} or {@code Subscribed} track (explicit),
 * or an identify's {@code unsubscribed} / {@code email_opt_in} trait (a trait can opt out, never back in).
 */
record ConsentSignal(String channel, State state, boolean explicit) {

    static Optional<ConsentSignal> in(JsonNode event) {
        String type = event.path("type").asText("");
        if ("track".equals(type)) {
            return switch (event.path("event").asText("")) {
                case ConsentChanges.UNSUBSCRIBED_EVENT -> Optional.of(new ConsentSignal(ConsentChanges.EMAIL, State.UNSUBSCRIBED, true));
                case ConsentChanges.SUBSCRIBED_EVENT -> Optional.of(new ConsentSignal(ConsentChanges.EMAIL, State.SUBSCRIBED, true));
                default -> Optional.empty();
            };
        }
        if (!"identify".equals(type)) {
            return Optional.empty();
        }
        JsonNode traits = event.path("traits");
        JsonNode unsubscribed = traits.path("unsubscribed");
        JsonNode optIn = traits.path("email_opt_in");
        if (isTrue(unsubscribed) || isFalse(optIn)) {
            return Optional.of(new ConsentSignal(ConsentChanges.EMAIL, State.UNSUBSCRIBED, false));
        }
        if (isFalse(unsubscribed) || isTrue(optIn)) {
            return Optional.of(new ConsentSignal(ConsentChanges.EMAIL, State.SUBSCRIBED, false));
        }
        return Optional.empty();
    }

    private static boolean isTrue(JsonNode value) {
        return value.isBoolean() && value.booleanValue();
    }

    private static boolean isFalse(JsonNode value) {
        return value.isBoolean() && !value.booleanValue();
    }
}
