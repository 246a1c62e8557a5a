package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;

/** Cluster mode's settings: what passes through to Kafka, what cannot, and the errors that name a bad setting. */
class KafkaSettingsTest {

    private static KafkaSettings settings(Map<String, String> fileClient, Map<String, String> environment) {
        return new KafkaSettings("k1:9092", "bridges", 12, Optional.empty(), merged(fileClient, environment));
    }

    private static Map<String, String> merged(Map<String, String> fileClient, Map<String, String> environment) {
        java.util.Map<String, String> client = new java.util.LinkedHashMap<>(fileClient);
        environment.forEach((name, value) -> {
            if (name.startsWith(KafkaSettings.CLIENT_ENV_PREFIX)) {
                client.put(name.substring(KafkaSettings.CLIENT_ENV_PREFIX.length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.'), value);
            }
        });
        return client;
    }

    @Test
    void clientSettingsPassThroughFromTheFileAndTheEnvironmentWhichWins() {
        KafkaSettings kafka = settings(Map.of("security.protocol", "SSL", "ssl.truststore.location", "/etc/kafka/trust.jks"),
                Map.of("BRIDGE_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL", "BRIDGE_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512",
                        "PATH", "/usr/bin"));

        Properties client = kafka.clientProperties(Map.of("session.timeout.ms", 10_000), Map.of("isolation.level", "read_committed"));

        assertThat(client).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", "/etc/kafka/trust.jks")
                .containsEntry("bootstrap.servers", "k1:9092")
                .containsEntry("session.timeout.ms", 10_000)
                .doesNotContainKey("path");
    }

    @Test
    void aPassedThroughSettingOverridesTheBridgesDefaultsButNeverWhatItsGuaranteesRestOn() {
        KafkaSettings kafka = settings(Map.of("session.timeout.ms", "30000", "isolation.level", "read_uncommitted", "acks", "1"), Map.of());

        Properties client = kafka.clientProperties(Map.of("session.timeout.ms", 10_000),
                Map.of("isolation.level", "read_committed", "acks", "all"));

        assertThat(client).containsEntry("session.timeout.ms", "30000")
                .containsEntry("isolation.level", "read_committed")
                .containsEntry("acks", "all");
    }

    @Test
    void theLogsNamesFollowThePrefix() {
        KafkaSettings kafka = settings(Map.of(), Map.of());

        assertThat(kafka.intakeTopic()).isEqualTo("bridges.intake");
        assertThat(kafka.destinationTopic("iterable")).isEqualTo("bridges.iterable");
        assertThat(kafka.destinationGroup("iterable")).isEqualTo("bridges.iterable");
        assertThat(kafka.processorGroup()).isEqualTo("bridges.processor");
        assertThat(kafka.toString()).doesNotContain("SASL").contains("k1:9092");
    }

    @Test
    void aDestinationMayNotTakeTheIntakesOrTheProcessorsName() {
        assertThatThrownBy(() -> settings(Map.of(), Map.of()).requireUsable(List.of("iterable", "intake")))
                .hasMessage("Setting bridge.destinations: 'intake' would share topic bridges.intake with the bridge's own intake;"
                        + " rename the destination");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bridge.event-log=kafka   | | Setting bridge.kafka.bootstrap-servers (BRIDGE_KAFKA_BOOTSTRAP_SERVERS) is empty",
            "bridge.event-log=kafka   | bridge.kafka.topic-prefix=a b | Setting bridge.kafka.topic-prefix (BRIDGE_KAFKA_TOPIC_PREFIX): 'a b' cannot start a Kafka topic name",
            "bridge.event-log=journal | | Setting bridge.event-log (BRIDGE_EVENT_LOG): 'journal' is not an event log; use embedded or kafka"})
    void aBadClusterSettingStopsTheStartNamingIt(String log, String other, String message) {
        Map<String, String> settings = new java.util.HashMap<>(Map.of(log.split("=")[0], log.split("=")[1],
                "bridge.state.jdbc-url", "jdbc:postgresql://127.0.0.1:1/none"));
        if (other != null) {
            // Brokers named, so that the other setting is the one that fails.
            settings.put("bridge.kafka.bootstrap-servers", "127.0.0.1:1");
            settings.put(other.split("=")[0], other.split("=")[1]);
        }
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(settings).close();

        assertThatThrownBy(start).rootCause().hasMessageStartingWith(message);
    }

    @Test
    void clusterModeRefusesStateOutsidePostgresql() {
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of("bridge.event-log", "kafka",
                "bridge.kafka.bootstrap-servers", "127.0.0.1:1", "bridge.state.jdbc-url", "")).close();

        assertThatThrownBy(start).rootCause().hasMessage("Setting bridge.event-log=kafka runs several bridges on shared state: "
                + "set bridge.state.jdbc-url (BRIDGE_STATE_JDBC_URL) to their PostgreSQL database, jdbc:postgresql://...");
    }
}
