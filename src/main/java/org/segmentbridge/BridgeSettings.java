package org.segmentbridge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.apache.camel.CamelContext;

/**
 * The bridge's own settings, read once from Camel's properties (application.properties, where each value names
 * the environment variable that overrides it). A bad value fails start-up with the key and the value's problem.
 * Each vendor reads its own settings in its package.
 */
public record BridgeSettings(
        Path dataDir,
        Optional<String> stateJdbcUrl,
        String stateUsername,
        String statePassword,
        Path mappingsDir,
        List<String> writeKeys,
        Optional<String> segmentWebhookSecret,
        Optional<String> adminToken,
        int dryRunKeep,
        Duration dedupeWindow,
        List<String> destinations,
        int maxEventBytes,
        int maxBatchBytes,
        int maxBatchEvents,
        int maxWebhookBytes,
        List<String> identityKeyPaths,
        String resolvedKeyField,
        Duration pendingTtl,
        int pendingMaxEvents,
        Duration pendingCheckEvery) {

    public static BridgeSettings from(CamelContext context) {
        SettingsReader reader = new SettingsReader(context.getPropertiesComponent());
        return new BridgeSettings(
                Path.of(reader.required("bridge.data-dir")),
                reader.optional("bridge.state.jdbc-url"),
                reader.optional("bridge.state.username").orElse("bridge"),
                reader.optional("bridge.state.password").orElse(""),
                Path.of(reader.required("bridge.mappings-dir")),
                reader.list("bridge.write-keys"),
                reader.optional("bridge.webhook.segment-secret"),
                reader.optional("bridge.admin-token"),
                reader.positiveInt("bridge.dry-run.keep"),
                reader.duration("bridge.dedupe.window"),
                reader.list("bridge.destinations"),
                reader.positiveInt("bridge.intake.max-event-bytes"),
                reader.positiveInt("bridge.intake.max-batch-bytes"),
                reader.positiveInt("bridge.intake.max-batch-events"),
                reader.positiveInt("bridge.webhook.max-body-bytes"),
                reader.list("bridge.identity.key-paths"),
                reader.required("bridge.identity.resolved-key-field"),
                reader.duration("bridge.identity.pending.ttl"),
                reader.positiveInt("bridge.identity.pending.max-events"),
                reader.duration("bridge.identity.pending.check-every"));
    }

    /** Secrets are never printed: a settings dump shows only whether they are set. */
    @Override
    public String toString() {
        return "BridgeSettings[dataDir=" + dataDir + ", state=" + stateJdbcUrl.map(SettingsReader::withoutCredentials)
                .orElse("embedded H2") + ", writeKeys=" + writeKeys.size() + " set"
                + ", segmentWebhookSecret=" + (segmentWebhookSecret.isPresent() ? "set" : "not set")
                + ", adminToken=" + (adminToken.isPresent() ? "set" : "not set")
                + ", dedupeWindow=" + dedupeWindow + ", destinations=" + destinations + "]";
    }
}
