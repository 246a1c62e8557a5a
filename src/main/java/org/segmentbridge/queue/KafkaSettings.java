package org.segmentbridge.queue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

import org.segmentbridge.SettingsReader;

/**
 * The {@code bridge.kafka.*} settings of cluster mode, and the names they give the topics and consumer groups.
 *
 * <p>Kafka client settings (security above all: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}) pass through
 * unchanged to every client the bridge opens: as {@code bridge.kafka.client.<kafka setting>} in the settings file, or
 * as an environment variable {@code BRIDGE_KAFKA_CLIENT_<KAFKA_SETTING>} (upper case, dots as underscores), which wins.
 */
public record KafkaSettings(String bootstrapServers, String topicPrefix, int partitions, Optional<Short> replicationFactor,
                            Map<String, String> client) {

    public static final String CLIENT_PREFIX = "bridge.kafka.client.";
    static final String CLIENT_ENV_PREFIX = "BRIDGE_KAFKA_CLIENT_";
    /** Kafka's own rule for topic names (without the length bound, which the names here never reach). */
    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final String INTAKE = "intake";
    private static final String PROCESSOR = "processor";

    public KafkaSettings {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Setting bridge.kafka.bootstrap-servers (BRIDGE_KAFKA_BOOTSTRAP_SERVERS) is empty: "
                    + "with bridge.event-log=kafka, name the Kafka brokers as host:port,host:port");
        }
        if (!TOPIC_NAME.matcher(topicPrefix).matches()) {
            throw new IllegalArgumentException("Setting bridge.kafka.topic-prefix (BRIDGE_KAFKA_TOPIC_PREFIX): '" + topicPrefix
                    + "' cannot start a Kafka topic name; use letters, digits, '.', '_' and '-'");
        }
        client = Map.copyOf(client);
    }

    /** Reads the settings; {@code environment} is the process's environment (a parameter so tests can pass their own). */
    public static KafkaSettings from(SettingsReader settings, Map<String, String> fileClientSettings, Map<String, String> environment) {
        Map<String, String> client = new LinkedHashMap<>(fileClientSettings);
        environment.forEach((name, value) -> {
            if (name.startsWith(CLIENT_ENV_PREFIX) && name.length() > CLIENT_ENV_PREFIX.length()) {
                client.put(name.substring(CLIENT_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        Optional<String> replication = settings.optional("bridge.kafka.replication-factor");
        return new KafkaSettings(settings.optional("bridge.kafka.bootstrap-servers").orElse(""),
                settings.optional("bridge.kafka.topic-prefix").orElse("segment-bridge"),
                settings.positiveInt("bridge.kafka.partitions"),
                replication.map(value -> (short) settings.positiveInt("bridge.kafka.replication-factor")),
                client);
    }

    /** The names destinations may not take here: their topics would be the intake's or the processor's. */
    void requireUsable(List<String> destinations) {
        for (String destination : destinations) {
            if (destination.equals(INTAKE) || destination.equals(PROCESSOR)) {
                throw new IllegalArgumentException("Setting bridge.destinations: '" + destination + "' would share topic "
                        + destinationTopic(destination) + " with the bridge's own " + destination + "; rename the destination");
            }
        }
    }

    String intakeTopic() {
        return topicPrefix + "." + INTAKE;
    }

    String destinationTopic(String destination) {
        return topicPrefix + "." + destination;
    }

    /** The processors of every bridge form one group: each reads its share of the intake's partitions. */
    String processorGroup() {
        return topicPrefix + "." + PROCESSOR;
    }

    /** A destination's readers on every bridge form one group, named as its topic. */
    String destinationGroup(String destination) {
        return destinationTopic(destination);
    }

    /**
     * A client's settings: the bridge's defaults, then the passed-through settings, then what the bridge's guarantees
     * rest on (acknowledgements, transactions, commits), which nothing overrides.
     */
    Properties clientProperties(Map<String, Object> defaults, Map<String, Object> required) {
        Properties properties = new Properties();
        properties.putAll(defaults);
        properties.putAll(client);
        properties.putAll(required);
        properties.put("bootstrap.servers", bootstrapServers);
        return properties;
    }

    /** For logs: the brokers, never the client settings (they may hold credentials). */
    @Override
    public String toString() {
        return "Kafka at " + bootstrapServers + ", topics " + topicPrefix + ".*";
    }
}
