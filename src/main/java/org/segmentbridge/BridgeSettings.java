package org.segmentbridge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.TimeUtils;

/**
 * The bridge's own settings, read once from Camel's properties (application.properties, where each value names
 * the environment variable that overrides it). A bad value fails start-up with the key and the value's problem.
 */
public record BridgeSettings(
        Path dataDir,
        List<String> writeKeys,
        Optional<String> segmentWebhookSecret,
        Duration dedupeWindow,
        List<String> destinations,
        int maxEventBytes,
        int maxBatchBytes,
        int maxBatchEvents,
        int maxWebhookBytes) {

    public static BridgeSettings from(CamelContext context) {
        Reader reader = new Reader(context.getPropertiesComponent());
        return new BridgeSettings(
                Path.of(reader.required("bridge.data-dir")),
                reader.list("bridge.write-keys"),
                reader.optional("bridge.webhook.segment-secret"),
                reader.duration("bridge.dedupe.window"),
                reader.list("bridge.destinations"),
                reader.positiveInt("bridge.intake.max-event-bytes"),
                reader.positiveInt("bridge.intake.max-batch-bytes"),
                reader.positiveInt("bridge.intake.max-batch-events"),
                reader.positiveInt("bridge.webhook.max-body-bytes"));
    }

    /** Secrets are never printed: a settings dump shows only whether they are set. */
    @Override
    public String toString() {
        return "BridgeSettings[dataDir=" + dataDir + ", writeKeys=" + writeKeys.size() + " set"
                + ", segmentWebhookSecret=" + (segmentWebhookSecret.isPresent() ? "set" : "not set")
                + ", dedupeWindow=" + dedupeWindow + ", destinations=" + destinations + "]";
    }

    private record Reader(PropertiesComponent properties) {

        Optional<String> optional(String key) {
            return properties.resolveProperty(key).map(String::trim).filter(value -> !value.isEmpty());
        }

        String required(String key) {
            return optional(key).orElseThrow(() -> new IllegalArgumentException(
                    "Setting " + key + " is missing or empty: set it in application.properties or its environment variable"));
        }

        List<String> list(String key) {
            return optional(key).map(value -> Arrays.stream(value.split(","))
                    .map(String::trim).filter(item -> !item.isEmpty()).toList()).orElse(List.of());
        }

        int positiveInt(String key) {
            String value = required(key);
            try {
                int parsed = Integer.parseInt(value);
                if (parsed > 0) {
                    return parsed;
                }
            } catch (NumberFormatException ignored) {
                // reported below with the key
            }
            throw new IllegalArgumentException("Setting " + key + " must be a positive whole number, got '" + value + "'");
        }

        Duration duration(String key) {
            String value = required(key);
            try {
                long millis = TimeUtils.toMilliSeconds(value);
                if (millis > 0) {
                    return Duration.ofMillis(millis);
                }
            } catch (RuntimeException ignored) {
                // reported below with the key
            }
            throw new IllegalArgumentException("Setting " + key + " must be a positive duration such as 24h or 90m, got '" + value + "'");
        }
    }
}
