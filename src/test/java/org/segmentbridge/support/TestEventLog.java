package org.segmentbridge.support;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which logs the test bridges run on: the embedded broker (the default), or Kafka in cluster mode when the system
 * property {@value #PROPERTY} is {@code kafka} (the cluster pass of {@code bash .ci/run} sets it, for the shipped use
 * cases' end-to-end tests). Every test bridge then gets topics of its own (a prefix per data folder) on one real broker
 * started per JVM ({@link KafkaBroker}), and its state on PostgreSQL, as cluster mode requires.
 */
public final class TestEventLog {

    public static final String PROPERTY = "bridge.test.event-log";
    /** For bridges in their own processes sharing the work: few enough that a bridge joins its groups quickly. */
    public static final int PARTITIONS = 3;
    /**
     * For one test bridge running the shipped use cases: one partition keeps one order across persons, which tests
     * that assert whole batch requests (several persons' items, in the order sent) rely on. Order across persons is not
     * promised on Kafka; the cluster tests cover the spreading over partitions.
     */
    private static final int PARTITIONS_OF_ONE_BRIDGE = 1;

    private static final Map<Path, String> PREFIXES = new ConcurrentHashMap<>();
    private static final AtomicInteger CREATED = new AtomicInteger();

    private TestEventLog() {
    }

    /** True in the pass that runs the bridges on Kafka. */
    public static boolean kafka() {
        String log = System.getProperty(PROPERTY, "embedded").trim();
        if (log.equalsIgnoreCase("kafka")) {
            return true;
        }
        if (log.isEmpty() || log.equalsIgnoreCase("embedded")) {
            return false;
        }
        throw new IllegalStateException("-D" + PROPERTY + "=" + log + ": use embedded or kafka");
    }

    /** The bridge's log settings for a bridge on this data folder: none for the embedded broker. */
    public static Map<String, String> settingsFor(Path dataDir) {
        if (!kafka()) {
            return Map.of();
        }
        Map<String, String> settings = new java.util.HashMap<>(clusterSettings(KafkaBroker.shared(), prefixFor(dataDir)));
        settings.put("bridge.kafka.partitions", Integer.toString(PARTITIONS_OF_ONE_BRIDGE));
        return settings;
    }

    /** Cluster mode's settings on this broker, under this topic prefix. */
    public static Map<String, String> clusterSettings(KafkaBroker broker, String topicPrefix) {
        return Map.of("bridge.event-log", "kafka",
                "bridge.kafka.bootstrap-servers", broker.bootstrapServers(),
                "bridge.kafka.topic-prefix", topicPrefix,
                "bridge.kafka.partitions", Integer.toString(PARTITIONS),
                "bridge.kafka.replication-factor", "1");
    }

    /** The same as environment variables, for a bridge in its own process. */
    public static Map<String, String> clusterEnvironment(KafkaBroker broker, String topicPrefix) {
        return Map.of("BRIDGE_EVENT_LOG", "kafka",
                "BRIDGE_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "BRIDGE_KAFKA_TOPIC_PREFIX", topicPrefix,
                "BRIDGE_KAFKA_PARTITIONS", Integer.toString(PARTITIONS),
                "BRIDGE_KAFKA_REPLICATION_FACTOR", "1");
    }

    /** A topic prefix no other test bridge of this JVM uses. */
    public static String newTopicPrefix() {
        return "test-" + ProcessHandle.current().pid() + "-" + CREATED.incrementAndGet();
    }

    private static String prefixFor(Path dataDir) {
        return PREFIXES.computeIfAbsent(dataDir.toAbsolutePath().normalize(), folder -> newTopicPrefix());
    }
}
