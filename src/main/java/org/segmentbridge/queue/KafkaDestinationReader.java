package org.segmentbridge.queue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one destination's topic as a member of the destination's consumer group, hands its events over in each
 * partition's order, and lets the destination settle them in any order. Per partition, the committed offset is that of
 * the oldest event not yet settled: a crash, a stop or a rebalance may make another reader deliver some events again
 * (the vendors' idempotency keys absorb them), never skip one.
 *
 * <p>When partitions move to another bridge, the reader waits up to {@value #REVOKE_GRACE_MILLIS} ms for what it holds
 * of them to settle, commits, and gives them up; what is still unsettled then is forgotten by the destination
 * ({@link Listener#sessionLost()}) and read again from the committed offsets. Every Kafka call happens on this reader's
 * own thread, as the consumer requires.
 */
final class KafkaDestinationReader implements DestinationReader {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaDestinationReader.class);
    private static final long POLL_MILLIS = 20;
    private static final long COMMIT_EVERY_MILLIS = 200;
    private static final long REVOKE_GRACE_MILLIS = 5_000;

    private final KafkaSettings settings;
    private final String destination;
    private final int maxInFlight;
    private final Listener listener;
    private final BlockingQueue<Held> finished = new LinkedBlockingQueue<>();
    private volatile boolean running;
    /** False once the stop began: no more events are handed over, settled ones are still committed. */
    private volatile boolean reading;
    private final CountDownLatch handingOverStopped = new CountDownLatch(1);
    private Thread thread;

    // Reader thread only:
    private KafkaConsumer<String, String> consumer;
    private final Deque<ConsumerRecord<String, String>> buffered = new ArrayDeque<>();
    private final Map<TopicPartition, TreeSet<Long>> unsettled = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private int inFlight;
    /** Bumped whenever the destination forgets what it holds: settlements of an older generation are ignored. */
    private long generation;
    private long lastCommitNanos = System.nanoTime();

    KafkaDestinationReader(KafkaSettings settings, String destination, int maxInFlight, Listener listener) {
        this.settings = settings;
        this.destination = destination;
        this.maxInFlight = maxInFlight;
        this.listener = listener;
    }

    /** An event as handed over: where it sits, and the generation it was handed over in. */
    private record Held(TopicPartition partition, long offset, long generation, String json, String replayAction)
            implements QueuedMessage {
    }

    @Override
    public void start() {
        running = true;
        reading = true;
        thread = new Thread(this::run, "subscription-" + destination);
        thread.start();
    }

    @Override
    public void stopReading() throws InterruptedException {
        reading = false;
        if (thread != null && thread.isAlive()) {
            handingOverStopped.await(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(15_000);
        }
    }

    /** A partition's committed offset is that of its oldest unsettled event. */
    @Override
    public boolean givesBackOnlyUnsettled() {
        return false;
    }

    @Override
    public void finished(QueuedMessage message) {
        finished.add((Held) message);
    }

    private void run() {
        while (running) {
            try {
                consumer = new KafkaConsumer<>(settings.clientProperties(Map.of(
                                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000,
                                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(500, maxInFlight),
                                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                        Map.of(ConsumerConfig.GROUP_ID_CONFIG, settings.destinationGroup(destination),
                                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                                // Only what the processor committed: an aborted batch is never delivered.
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName())));
                consumer.subscribe(List.of(settings.destinationTopic(destination)), new Rebalance());
                readUntilStopped();
                // Settled before the stop: committed before the consumer leaves its group.
                settle();
                commitSettled(true);
                if (inFlight > 0) {
                    LOG.info("Destination {}: {} event(s) not settled at the stop go back to the log and are read again on the next start",
                            destination, inFlight);
                }
            } catch (KafkaException | IllegalStateException e) {
                if (running) {
                    LOG.error("Reading destination {}'s Kafka topic failed; reconnecting in 1 s: {}", destination, e.getMessage());
                    sleepQuietly(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            } finally {
                closeConsumer();
            }
            if (running) {
                forgetAll();
            }
        }
        handingOverStopped.countDown();
    }

    private void readUntilStopped() throws InterruptedException {
        while (running) {
            settle();
            if (!reading) {
                handingOverStopped.countDown();
            }
            if (reading && inFlight < maxInFlight && !buffered.isEmpty()) {
                handOver(buffered.pollFirst());
            } else {
                // Fetch only while there is room: a full or stopping reader keeps polling (to stay in its group) but
                // takes nothing.
                boolean room = reading && inFlight < maxInFlight && buffered.isEmpty();
                if (room) {
                    consumer.resume(consumer.paused());
                } else {
                    consumer.pause(consumer.assignment());
                }
                consumer.poll(Duration.ofMillis(POLL_MILLIS)).forEach(buffered::addLast);
            }
            if (System.nanoTime() - lastCommitNanos > TimeUnit.MILLISECONDS.toNanos(COMMIT_EVERY_MILLIS)) {
                commitSettled(false);
            }
        }
    }

    /**
     * Hands an event over (see {@link HandOver}); while it is postponed the consumer keeps polling with its partitions
     * paused, so it stays in its group, and what finished meanwhile is still settled.
     */
    private void handOver(ConsumerRecord<String, String> record) throws InterruptedException {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Held held = new Held(partition, record.offset(), generation, record.value(),
                KafkaHeaders.get(record.headers(), EventQueue.REPLAY_ACTION_PROPERTY));
        unsettled.computeIfAbsent(partition, ignored -> new TreeSet<>()).add(record.offset());
        inFlight++;
        HandOver.until(destination, listener, held, () -> running && reading, pause -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause);
            consumer.pause(consumer.assignment());
            while (running && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(POLL_MILLIS)).forEach(buffered::addLast);
                settle();
                if (held.generation() != generation || !consumer.assignment().contains(partition)) {
                    return false; // the partition went to another bridge meanwhile: it delivers the event
                }
            }
            return true;
        });
    }

    /** Takes what the destination finished off the unsettled sets. */
    private void settle() {
        for (Held done = finished.poll(); done != null; done = finished.poll()) {
            if (done.generation() != generation) {
                continue;
            }
            TreeSet<Long> offsets = unsettled.get(done.partition());
            if (offsets != null && offsets.remove(done.offset())) {
                inFlight--;
            }
        }
    }

    /** Per partition: the oldest unsettled offset, else the oldest buffered, else the consumer's position. */
    private Map<TopicPartition, OffsetAndMetadata> settledPoints(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> points = new HashMap<>();
        for (TopicPartition partition : partitions) {
            TreeSet<Long> offsets = unsettled.get(partition);
            Long point = offsets != null && !offsets.isEmpty() ? offsets.first() : null;
            if (point == null) {
                point = buffered.stream().filter(record -> record.partition() == partition.partition())
                        .map(ConsumerRecord::offset).min(Long::compare).orElse(null);
            }
            if (point == null && unsettled.containsKey(partition)) {
                point = consumer.position(partition, Duration.ofSeconds(5));
            }
            if (point != null && !point.equals(committed.get(partition))) {
                points.put(partition, new OffsetAndMetadata(point));
            }
        }
        return points;
    }

    private void commitSettled(boolean wait) {
        lastCommitNanos = System.nanoTime();
        Map<TopicPartition, OffsetAndMetadata> points = settledPoints(consumer.assignment());
        if (points.isEmpty()) {
            return;
        }
        if (wait) {
            consumer.commitSync(points, Duration.ofSeconds(10));
        } else {
            consumer.commitAsync(points, (offsets, failure) -> {
                if (failure != null) {
                    LOG.debug("Destination {}: committing offsets failed (the next commit covers them): {}", destination, failure.getMessage());
                }
            });
        }
        points.forEach((partition, point) -> committed.put(partition, point.offset()));
    }

    /** Everything handed over is forgotten; reading starts again at the committed offsets. */
    private void forgetAll() {
        generation++;
        finished.clear();
        buffered.clear();
        unsettled.clear();
        committed.clear();
        inFlight = 0;
        listener.sessionLost();
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REVOKE_GRACE_MILLIS);
            while (anyUnsettled(partitions) && System.nanoTime() < deadline) {
                try {
                    Held done = finished.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                    if (done != null) {
                        finished.add(done);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                settle();
            }
            try {
                Map<TopicPartition, OffsetAndMetadata> points = settledPoints(partitions);
                if (!points.isEmpty()) {
                    consumer.commitSync(points, Duration.ofSeconds(10));
                }
            } catch (KafkaException e) {
                LOG.warn("Destination {}: could not commit before giving up partitions {} (they are read again): {}",
                        destination, partitions, e.getMessage());
            }
            giveUp(partitions, anyUnsettled(partitions));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            giveUp(partitions, true);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // Reading starts at each partition's committed offset.
        }

        private boolean anyUnsettled(Collection<TopicPartition> partitions) {
            return partitions.stream().anyMatch(partition -> !unsettled.getOrDefault(partition, new TreeSet<>()).isEmpty());
        }

        /**
         * Drops the partitions. When some of their events are still unsettled, the destination forgets everything it
         * holds (it cannot forget one partition's events alone), so the partitions this reader keeps are read again
         * from their oldest unsettled event.
         */
        private void giveUp(Collection<TopicPartition> partitions, boolean unsettledLeft) {
            Set<TopicPartition> kept = new HashSet<>(consumer.assignment());
            kept.removeAll(partitions);
            if (!unsettledLeft) {
                buffered.removeIf(record -> partitions.contains(new TopicPartition(record.topic(), record.partition())));
                partitions.forEach(partition -> {
                    unsettled.remove(partition);
                    committed.remove(partition);
                });
                return;
            }
            Map<TopicPartition, Long> restart = new HashMap<>();
            for (TopicPartition partition : kept) {
                TreeSet<Long> offsets = unsettled.get(partition);
                Long point = offsets != null && !offsets.isEmpty() ? offsets.first() : null;
                Long firstBuffered = buffered.stream().filter(record -> record.partition() == partition.partition())
                        .map(ConsumerRecord::offset).min(Long::compare).orElse(null);
                if (point == null || (firstBuffered != null && firstBuffered < point)) {
                    point = firstBuffered;
                }
                if (point != null) {
                    restart.put(partition, point);
                }
            }
            LOG.info("Destination {}: partitions {} moved while events were unsettled; they are delivered again where needed",
                    destination, partitions);
            forgetAll();
            restart.forEach(consumer::seek);
        }
    }

    private void closeConsumer() {
        if (consumer != null) {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (KafkaException e) {
                LOG.debug("Closing destination {}'s consumer failed: {}", destination, e.getMessage());
            }
            consumer = null;
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
