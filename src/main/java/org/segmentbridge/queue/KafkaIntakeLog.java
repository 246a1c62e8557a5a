package org.segmentbridge.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The intake log on Kafka: topic {@code <prefix>.intake}. An append groups the events by person (userId, else
 * anonymousId), so each record is keyed by one person and lands in that person's partition; a platform's report stays
 * one record, whole. The processor's reader is a transactional read-process-write: what it publishes to the
 * destinations' topics and the offsets it consumed commit in one Kafka transaction.
 */
final class KafkaIntakeLog implements IntakeLog {

    static final String KIND_HEADER = "intakeKind";
    /** Below Kafka's default 1 MB record bound, with room for the headers. */
    private static final int MAX_RECORD_CHARS = 900_000;

    private final KafkaEventLogs logs;
    private final KafkaSettings settings;
    private final List<String> destinations;
    private final AtomicLong appended = new AtomicLong();

    KafkaIntakeLog(KafkaEventLogs logs, KafkaSettings settings, List<String> destinations) {
        this.logs = logs;
        this.settings = settings;
        this.destinations = destinations;
    }

    @Override
    public CompletableFuture<Void> append(List<Entry> events, String receivedVia, Kind kind, Instant receivedAt) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (List<Entry> record : records(events, kind)) {
            ProducerRecord<String, String> message = new ProducerRecord<>(settings.intakeTopic(), null, receivedAt.toEpochMilli(),
                    record.get(0).personKey(), IntakeRecords.join(record));
            KafkaHeaders.put(message.headers(), EventQueue.RECEIVED_VIA_PROPERTY, receivedVia);
            KafkaHeaders.put(message.headers(), KIND_HEADER, kind.name());
            records.add(message);
        }
        return logs.storeAsync(records).thenRun(() -> appended.addAndGet(events.size()));
    }

    /** Kafka's producer waits in {@code send} while it has no metadata or no buffer room (up to {@code max.block.ms}). */
    @Override
    public boolean appendNeverWaits() {
        return false;
    }

    /** One person's events per record, in the order received, within the count and size bounds; a report whole. */
    private static List<List<Entry>> records(List<Entry> events, Kind kind) {
        if (kind == Kind.REPORT) {
            return IntakeRecords.split(events, kind);
        }
        Map<String, List<Entry>> byPerson = new LinkedHashMap<>();
        for (Entry event : events) {
            byPerson.computeIfAbsent(event.personKey(), person -> new ArrayList<>()).add(event);
        }
        List<List<Entry>> records = new ArrayList<>();
        for (List<Entry> personEvents : byPerson.values()) {
            List<Entry> record = new ArrayList<>();
            int chars = 2;
            for (Entry event : personEvents) {
                if (!record.isEmpty() && (record.size() == EVENTS_PER_RECORD || chars + event.json().length() + 1 > MAX_RECORD_CHARS)) {
                    records.add(record);
                    record = new ArrayList<>();
                    chars = 2;
                }
                record.add(event);
                chars += event.json().length() + 1;
            }
            records.add(record);
        }
        return records;
    }

    @Override
    public long appendedEvents() {
        return appended.get();
    }

    @Override
    public Reader openReader() {
        try {
            return new TransactionalReader();
        } catch (KafkaException e) {
            throw new EventQueue.QueueUnavailableException(e);
        }
    }

    /**
     * Reads the intake partitions this bridge is given and publishes in Kafka transactions. The consumer's offsets are
     * committed inside the transaction ({@code sendOffsetsToTransaction} with the group's metadata), so a processor
     * that lost its partitions to another bridge can no longer commit: its transaction is fenced, and the other bridge
     * reads the same records again, from the same positions.
     */
    private final class TransactionalReader implements Reader {

        private final KafkaConsumer<String, String> consumer;
        private final KafkaProducer<String, String> producer;
        /** Polled, not yet handed out. */
        private final Deque<ConsumerRecord<String, String>> buffered = new ArrayDeque<>();
        /** Handed out in the current batch, with their events. */
        private final List<Taken> taken = new ArrayList<>();
        private boolean inTransaction;
        private boolean broken;

        TransactionalReader() {
            consumer = new KafkaConsumer<>(settings.clientProperties(Map.of(
                            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000,
                            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500,
                            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    Map.of(ConsumerConfig.GROUP_ID_CONFIG, settings.processorGroup(),
                            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName())));
            try {
                producer = new KafkaProducer<>(settings.clientProperties(Map.of(
                                ProducerConfig.LINGER_MS_CONFIG, 2,
                                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000,
                                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000),
                        Map.of(ProducerConfig.ACKS_CONFIG, "all",
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                                // Unique per reader: fencing rests on the group's generation, not on this id.
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.processorGroup() + "-" + UUID.randomUUID(),
                                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName())));
                producer.initTransactions();
                consumer.subscribe(List.of(settings.intakeTopic()), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        forget(partitions);
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        // Reading starts at each partition's committed offset.
                    }

                    @Override
                    public void onPartitionsLost(Collection<TopicPartition> partitions) {
                        forget(partitions);
                    }
                });
            } catch (RuntimeException e) {
                consumer.close(Duration.ZERO);
                throw e;
            }
        }

        /** Partitions moved to another bridge (only ever inside a poll, so between batches): it reads them again. */
        private void forget(Collection<TopicPartition> partitions) {
            buffered.removeIf(record -> partitions.contains(new TopicPartition(record.topic(), record.partition())));
            taken.removeIf(each -> partitions.contains(new TopicPartition(each.record().topic(), each.record().partition())));
        }

        @Override
        public List<Logged> next(int max, long waitMillis, long lingerMillis) {
            if (broken) {
                throw new EventQueue.QueueUnavailableException(new IllegalStateException("the processor's Kafka transaction failed"));
            }
            try {
                if (buffered.isEmpty()) {
                    poll(waitMillis);
                }
                long lingerUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lingerMillis);
                int events = 0;
                while (events < max) {
                    if (buffered.isEmpty()) {
                        long left = TimeUnit.NANOSECONDS.toMillis(lingerUntil - System.nanoTime());
                        if (taken.isEmpty() || left <= 0) {
                            break;
                        }
                        poll(left);
                        // A rebalance inside the poll may have taken back some of the batch.
                        events = taken.stream().mapToInt(each -> each.events().size()).sum();
                        continue;
                    }
                    Taken next = Taken.of(buffered.pollFirst());
                    taken.add(next);
                    events += next.events().size();
                }
                return taken.stream().flatMap(each -> each.events().stream()).toList();
            } catch (KafkaException e) {
                throw failed(e);
            }
        }

        private void poll(long millis) {
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(Math.max(0, millis)))) {
                buffered.addLast(record);
            }
        }

        @Override
        public void emit(Entry event, String receivedVia, String onlyFor) {
            try {
                begin();
                for (String destination : onlyFor == null ? destinations : List.of(onlyFor)) {
                    if (!destinations.contains(destination)) {
                        continue; // a destination that is not configured has no topic, as on the embedded broker
                    }
                    ProducerRecord<String, String> record = new ProducerRecord<>(settings.destinationTopic(destination),
                            event.personKey(), event.json());
                    KafkaHeaders.put(record.headers(), EventQueue.TYPE_PROPERTY, event.type());
                    KafkaHeaders.put(record.headers(), EventQueue.MESSAGE_ID_PROPERTY, event.messageId());
                    KafkaHeaders.put(record.headers(), EventQueue.RECEIVED_VIA_PROPERTY, receivedVia);
                    producer.send(record);
                }
            } catch (RuntimeException e) {
                throw failed(e);
            }
        }

        private void begin() {
            if (!inTransaction) {
                producer.beginTransaction();
                inTransaction = true;
            }
        }

        @Override
        public void commit() {
            if (taken.isEmpty() && !inTransaction) {
                return;
            }
            try {
                Map<TopicPartition, OffsetAndMetadata> consumed = new HashMap<>();
                for (Taken each : taken) {
                    ConsumerRecord<String, String> record = each.record();
                    consumed.merge(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1),
                            (one, other) -> one.offset() >= other.offset() ? one : other);
                }
                begin();
                producer.sendOffsetsToTransaction(consumed, consumer.groupMetadata());
                producer.commitTransaction();
                inTransaction = false;
                taken.clear();
            } catch (RuntimeException e) {
                throw failed(e);
            }
        }

        /**
         * Any failure of the transactional producer ends this reader: after a timeout its transaction's outcome is
         * unknown, and after a fencing it may not go on. The processor opens a new reader, which reads from the
         * committed offsets: what the old transaction committed is not read again, what it did not is (Kafka aborts
         * it after {@code transaction.timeout.ms}).
         */
        private EventQueue.QueueUnavailableException failed(RuntimeException e) {
            broken = true;
            return new EventQueue.QueueUnavailableException(e);
        }

        @Override
        public void rollback() {
            try {
                if (inTransaction && !broken) {
                    inTransaction = false;
                    producer.abortTransaction();
                }
            } catch (RuntimeException e) {
                // A fenced or failed producer cannot go on: the processor opens a new reader.
                broken = true;
            } finally {
                rewind();
            }
        }

        /** Reads the batch and what was buffered after it again, from the same offsets. */
        private void rewind() {
            Map<TopicPartition, Long> from = new HashMap<>();
            for (Taken each : taken) {
                from.merge(new TopicPartition(each.record().topic(), each.record().partition()), each.record().offset(), Math::min);
            }
            for (ConsumerRecord<String, String> record : buffered) {
                from.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
            }
            taken.clear();
            buffered.clear();
            try {
                from.forEach((partition, offset) -> {
                    if (consumer.assignment().contains(partition)) {
                        consumer.seek(partition, offset);
                    }
                });
            } catch (RuntimeException e) {
                broken = true;
            }
        }

        @Override
        public void close() {
            try {
                producer.close(Duration.ofSeconds(broken ? 0 : 5));
            } catch (RuntimeException e) {
                // closing a failed producer may fail too; nothing is left to save
            }
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                // as above: uncommitted offsets are read again by whoever gets the partitions
            }
        }
    }

    /** A record of the batch and its events. */
    private record Taken(ConsumerRecord<String, String> record, List<Logged> events) {
        static Taken of(ConsumerRecord<String, String> record) {
            String position = record.topic() + "-" + record.partition() + "@" + record.offset();
            ArrayNode events = IntakeRecords.parse(record.value(), position);
            String receivedVia = KafkaHeaders.get(record.headers(), EventQueue.RECEIVED_VIA_PROPERTY);
            Kind kind = Kind.valueOf(KafkaHeaders.get(record.headers(), KIND_HEADER));
            Instant receivedAt = Instant.ofEpochMilli(record.timestamp());
            List<Logged> logged = new ArrayList<>(events.size());
            for (int index = 0; index < events.size(); index++) {
                logged.add(Logged.inRecord(position, index, (ObjectNode) events.get(index), receivedVia, kind, receivedAt));
            }
            return new Taken(record, logged);
        }
    }
}
