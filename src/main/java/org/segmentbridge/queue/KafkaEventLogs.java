package org.segmentbridge.queue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's logs on Apache Kafka (cluster mode): the topic {@code <prefix>.intake}, keyed by userId else
 * anonymousId, and one topic {@code <prefix>.<destination>} per destination, keyed by person. The processors of every
 * bridge form one consumer group on the intake, and each destination's readers another on its topic, so several
 * bridges share the work by partition, and a person's events stay in one partition, in order.
 *
 * <p>The intake's appends wait for every in-sync replica ({@code acks=all}, idempotent producer) before the intake
 * answers 200. When Kafka does not take them, the append fails (the intake answers 503) and the logs say so in
 * {@link #unavailable()} until a probe finds the intake topic's partitions led again, so that while Kafka is down the
 * intake refuses at once instead of holding every request for the producer's timeout.
 */
public final class KafkaEventLogs extends ServiceSupport implements EventLogs {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventLogs.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration START_RETRY_PAUSE = Duration.ofMillis(500);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final long WATCH_EVERY_MILLIS = 1000;

    private final KafkaSettings settings;
    private final List<String> destinations;
    private final KafkaIntakeLog intakeLog;
    private final EventQueue eventQueue = this::republish;
    private final Map<String, Long> lags = new ConcurrentHashMap<>();
    /** Each topic's partitions as found at the start: a topic made earlier may have another count than the setting. */
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    private volatile Admin admin;
    private volatile KafkaProducer<String, String> producer;
    private volatile long failingSinceMillis;
    private volatile String failure = "";
    private ScheduledExecutorService watcher;

    public KafkaEventLogs(KafkaSettings settings, List<String> destinations) {
        settings.requireUsable(destinations);
        this.settings = settings;
        this.destinations = List.copyOf(destinations);
        this.intakeLog = new KafkaIntakeLog(this, settings, this.destinations);
    }

    KafkaSettings settings() {
        return settings;
    }

    @Override
    protected void doStart() throws Exception {
        admin = Admin.create(settings.clientProperties(Map.of("request.timeout.ms", 5000, "default.api.timeout.ms", 10000),
                Map.of("client.id", "segment-bridge-admin")));
        createTopics();
        producer = new KafkaProducer<>(settings.clientProperties(Map.of(
                        ProducerConfig.LINGER_MS_CONFIG, 2,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 6000,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000),
                Map.of(ProducerConfig.ACKS_CONFIG, "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName())));
        watcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kafka-watch");
            thread.setDaemon(true);
            return thread;
        });
        watcher.scheduleWithFixedDelay(this::watch, WATCH_EVERY_MILLIS, WATCH_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        LOG.info("Event logs: {} ({} partitions per topic)", settings, settings.partitions());
    }

    /**
     * The bridge's topics, made when missing: a bridge that cannot reach Kafka at its start does not start. A broker that
     * is itself starting drops connections and times calls out for a moment, and a topic just created can be unknown to
     * the broker next asked about it, so those errors are retried until {@link #START_TIMEOUT}; any other refusal (no
     * authorisation, a bad replication factor) ends the start at once.
     */
    private void createTopics() throws InterruptedException {
        List<NewTopic> topics = new ArrayList<>();
        topics.add(new NewTopic(settings.intakeTopic(), Optional.of(settings.partitions()), settings.replicationFactor()));
        for (String destination : destinations) {
            topics.add(new NewTopic(settings.destinationTopic(destination), Optional.of(settings.partitions()), settings.replicationFactor()));
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        List<NewTopic> missing = topics;
        while (true) {
            missing = createMissing(missing, deadline);
            if (missing.isEmpty()) {
                break;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw unreachable(null);
            }
            Thread.sleep(START_RETRY_PAUSE.toMillis());
        }
        List<String> names = topics.stream().map(NewTopic::name).toList();
        while (true) {
            try {
                admin.describeTopics(names).allTopicNames().get(remainingMillis(deadline) + START_RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS)
                        .forEach((name, description) -> partitionCounts.put(name, description.partitions().size()));
                return;
            } catch (ExecutionException e) {
                // A topic just created may not be in the metadata of the broker asked yet (UnknownTopicOrPartition).
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() - deadline >= 0) {
                    throw unreachable(e);
                }
                LOG.info("Kafka did not describe the topics yet ({}); trying again", e.getCause().getMessage());
                Thread.sleep(START_RETRY_PAUSE.toMillis());
            } catch (java.util.concurrent.TimeoutException e) {
                throw unreachable(e);
            }
        }
    }

    /** One attempt at creating the topics: those that a retriable error left uncreated, to try again. */
    private List<NewTopic> createMissing(List<NewTopic> topics, long deadline) throws InterruptedException {
        Map<String, org.apache.kafka.common.KafkaFuture<Void>> created = admin.createTopics(topics).values();
        List<NewTopic> retry = new ArrayList<>();
        for (NewTopic topic : topics) {
            try {
                created.get(topic.name()).get(remainingMillis(deadline) + START_RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("Created Kafka topic {}", topic.name());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RetriableException) {
                    LOG.info("Kafka did not create topic {} yet ({}); trying again", topic.name(), e.getCause().getMessage());
                    retry.add(topic);
                } else if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(settings + " did not create topic " + topic.name() + ": "
                            + e.getCause().getMessage() + " (settings bridge.kafka.*)", e.getCause());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw unreachable(e);
            }
        }
        return retry;
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private IllegalStateException unreachable(Exception e) {
        return new IllegalStateException(settings + " did not answer within " + START_TIMEOUT.toSeconds()
                + " s; check bridge.kafka.bootstrap-servers (BRIDGE_KAFKA_BOOTSTRAP_SERVERS) and that the brokers run", e);
    }

    @Override
    protected void doStop() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public IntakeLog intakeLog() {
        return intakeLog;
    }

    @Override
    public EventQueue eventQueue() {
        return eventQueue;
    }

    @Override
    public DestinationReader destinationReader(String destination, int maxInFlight, DestinationReader.Listener listener) {
        return new KafkaDestinationReader(settings, destination, maxInFlight, listener);
    }

    @Override
    public List<String> destinations() {
        return destinations;
    }

    @Override
    public Optional<String> unavailable() {
        if (producer == null) {
            return Optional.of(settings + ": the bridge has not connected yet");
        }
        long since = failingSinceMillis;
        return since == 0 ? Optional.empty()
                : Optional.of(settings + " did not store events since " + Instant.ofEpochMilli(since) + ": " + failure);
    }

    @Override
    public Optional<Path> localJournal() {
        return Optional.empty();
    }

    @Override
    public long intakeLogDepth() {
        return lags.getOrDefault(settings.intakeTopic(), 0L);
    }

    /** Not measured on Kafka: the ages would cost a read of each partition's oldest record; the depths say enough. */
    @Override
    public long intakeLogOldestAgeMillis() {
        return 0;
    }

    @Override
    public long depth(String destination) {
        return lags.getOrDefault(settings.destinationTopic(destination), 0L);
    }

    @Override
    public long oldestAgeMillis(String destination) {
        return 0;
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    /** Sends the records and waits until Kafka stored each of them, or throws {@link EventQueue.QueueUnavailableException}. */
    void store(List<ProducerRecord<String, String>> records) {
        IntakeLog.await(storeAsync(records));
    }

    /**
     * Sends the records; the future completes once Kafka stored each of them (on the producer's I/O thread), or fails
     * with {@link EventQueue.QueueUnavailableException}. Sending itself blocks only while the producer has no metadata
     * or no buffer room, at most {@code max.block.ms}.
     */
    CompletableFuture<Void> storeAsync(List<ProducerRecord<String, String>> records) {
        KafkaProducer<String, String> sender = producer;
        if (sender == null) {
            return CompletableFuture.failedFuture(new EventQueue.QueueUnavailableException(new IllegalStateException("the Kafka logs are not started")));
        }
        CompletableFuture<Void> stored = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(records.size());
        try {
            for (ProducerRecord<String, String> record : records) {
                sender.send(record, (metadata, error) -> {
                    if (error != null) {
                        stored.completeExceptionally(failed(error));
                    } else if (left.decrementAndGet() == 0) {
                        if (failingSinceMillis != 0) {
                            recovered();
                        }
                        stored.complete(null);
                    }
                });
            }
        } catch (RuntimeException e) {
            stored.completeExceptionally(failed(e));
        }
        return stored;
    }

    private EventQueue.QueueUnavailableException failed(Throwable cause) {
        failure = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        if (failingSinceMillis == 0) {
            failingSinceMillis = System.currentTimeMillis();
            LOG.warn("{} did not store events; the intake answers 503 until it does: {}", settings, failure);
        }
        return new EventQueue.QueueUnavailableException(cause);
    }

    private void recovered() {
        LOG.info("{} stores events again after {} ms", settings, System.currentTimeMillis() - failingSinceMillis);
        failingSinceMillis = 0;
    }

    private void republish(String destination, IntakeLog.Entry event, String onlyAction) {
        ProducerRecord<String, String> record = new ProducerRecord<>(settings.destinationTopic(destination), event.personKey(), event.json());
        KafkaHeaders.put(record.headers(), EventQueue.TYPE_PROPERTY, event.type());
        KafkaHeaders.put(record.headers(), EventQueue.MESSAGE_ID_PROPERTY, event.messageId());
        KafkaHeaders.put(record.headers(), EventQueue.RECEIVED_VIA_PROPERTY, "replay");
        if (onlyAction != null) {
            KafkaHeaders.put(record.headers(), EventQueue.REPLAY_ACTION_PROPERTY, onlyAction);
        }
        store(List.of(record));
    }

    // ---- watching -----------------------------------------------------------------------------------------------

    private void watch() {
        try {
            if (failingSinceMillis != 0 && intakeTopicLed()) {
                recovered();
            }
            measureLags();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
            LOG.debug("Watching {} failed: {}", settings, e.getMessage());
        }
    }

    private boolean intakeTopicLed() throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        TopicDescription intake = admin.describeTopics(List.of(settings.intakeTopic())).allTopicNames()
                .get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(settings.intakeTopic());
        return intake.partitions().stream().allMatch(partition -> partition.leader() != null && !partition.leader().isEmpty());
    }

    /** Each log's depth: what its consumer group has not committed yet, over all partitions. */
    private void measureLags() throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        Map<String, String> groupOfTopic = new HashMap<>();
        groupOfTopic.put(settings.intakeTopic(), settings.processorGroup());
        destinations.forEach(destination -> groupOfTopic.put(settings.destinationTopic(destination), settings.destinationGroup(destination)));
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (String topic : groupOfTopic.keySet()) {
            for (int partition = 0; partition < partitionCounts.getOrDefault(topic, settings.partitions()); partition++) {
                latest.put(new TopicPartition(topic, partition), OffsetSpec.latest());
                earliest.put(new TopicPartition(topic, partition), OffsetSpec.earliest());
            }
        }
        ListOffsetsOptions committedOnly = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
        var ends = admin.listOffsets(latest, committedOnly).all().get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        var starts = admin.listOffsets(earliest, committedOnly).all().get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        for (Map.Entry<String, String> log : groupOfTopic.entrySet()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(log.getValue())
                    .partitionsToOffsetAndMetadata().get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long lag = 0;
            for (var end : ends.entrySet()) {
                if (end.getKey().topic().equals(log.getKey())) {
                    OffsetAndMetadata at = committed.get(end.getKey());
                    long from = at != null ? at.offset() : starts.get(end.getKey()).offset();
                    lag += Math.max(0, end.getValue().offset() - from);
                }
            }
            lags.put(log.getKey(), lag);
        }
    }
}
