package org.segmentbridge.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The test broker is a real one: what a producer wrote with acks=all, and what a transaction committed, is read back
 * by a read_committed consumer, and is still there after the broker was killed and restarted; what was aborted, or
 * still open at the kill, is never read.
 */
class KafkaBrokerTest {

    private static final String TOPIC = "events";

    @Test
    void committedRecordsSurviveAKillAndTheOpenTransactionIsAbortedWhenItsProducerReturns() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start()) {
            broker.createTopic(TOPIC, 2);
            List<String> written = new ArrayList<>();

            KafkaProducer<String, String> plain = producer(broker, Map.of());
            for (int i = 0; i < 10; i++) {
                plain.send(new ProducerRecord<>(TOPIC, "key-" + i, "acked-" + i)).get(10, TimeUnit.SECONDS);
                written.add("acked-" + i);
            }

            KafkaProducer<String, String> transactional = producer(broker, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-tx"));
            transactional.initTransactions();
            transaction(transactional, "committed", 10);
            transactional.commitTransaction();
            written.addAll(IntStream.range(0, 10).mapToObj(i -> "committed-" + i).toList());
            transaction(transactional, "aborted", 5);
            transactional.abortTransaction();
            transaction(transactional, "open", 5);
            transactional.flush();

            assertThat(readCommitted(broker)).containsExactlyInAnyOrderElementsOf(written);

            broker.kill();
            assertThat(broker.isRunning()).isFalse();
            transactional.close(Duration.ZERO);
            // The producer that wrote: its record expires unwritten (delivery.timeout.ms) instead of being acknowledged.
            assertThatThrownBy(() -> plain.send(new ProducerRecord<>(TOPIC, "key-0", "during-the-outage")).get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            plain.close(Duration.ZERO);

            broker.restart();
            assertThat(broker.isRunning()).isTrue();
            assertThat(readCommitted(broker)).containsExactlyInAnyOrderElementsOf(written);

            // The same transactional.id back: initTransactions fences the transaction left open at the kill and aborts it.
            try (KafkaProducer<String, String> returning = producer(broker, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-tx"))) {
                returning.initTransactions();
                transaction(returning, "after-restart", 3);
                returning.commitTransaction();
            }
            written.addAll(IntStream.range(0, 3).mapToObj(i -> "after-restart-" + i).toList());
            assertThat(readCommitted(broker)).containsExactlyInAnyOrderElementsOf(written);
        }
    }

    private static void transaction(KafkaProducer<String, String> producer, String name, int records) {
        producer.beginTransaction();
        for (int i = 0; i < records; i++) {
            producer.send(new ProducerRecord<>(TOPIC, "key-" + i, name + "-" + i));
        }
    }

    /** acks=all; a record not acknowledged within 3 s fails instead of waiting two minutes. */
    private static KafkaProducer<String, String> producer(KafkaBroker broker, Map<String, Object> extra) {
        Map<String, Object> settings = new java.util.HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10000));
        settings.putAll(extra);
        return new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer());
    }

    /** Every record a read_committed consumer reads from the start of each partition up to its last stable offset. */
    private static List<String> readCommitted(KafkaBroker broker) {
        Map<String, Object> settings = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC, Duration.ofSeconds(10)).stream()
                    .map(info -> new TopicPartition(TOPIC, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (partitions.stream().anyMatch(partition -> consumer.position(partition) < ends.get(partition))) {
                assertThat(System.nanoTime()).as("read up to the last stable offsets %s within 15 s", ends).isLessThan(deadline);
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            return values;
        }
    }
}
