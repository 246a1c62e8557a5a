package org.segmentbridge.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import jakarta.jms.QueueBrowser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.deadletters.DeadLetters;
import org.segmentbridge.queue.EmbeddedBroker;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.SharedStateDatabase;
import org.segmentbridge.support.TestFolders;

/**
 * Events waiting for their person's key, with two bridges on one state database releasing and expiring them at the
 * same moment (cluster mode: both run the upkeep, both may release a person whose key arrived): each waiting event is
 * queued again exactly once, in its order, or dead-lettered exactly once. The bridges share one log, as they share
 * Kafka; here the embedded broker stands for it. On PostgreSQL and on H2.
 */
class SharedPendingEventsTest {

    private static final int WAITING = 60;

    private static Path folder;
    private static EmbeddedBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        folder = TestFolders.create("shared-pending-");
        broker = new EmbeddedBroker(folder, List.of("postgresql", "h2"), 0);
        broker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.stop();
    }

    private static PendingEvents bridge(StateStore store, Duration ttl) {
        IdentityStore identity = new IdentityStore(store, List.of("$.traits.email"));
        return new PendingEvents(store, identity, broker.eventQueue(), new DeadLetters(store), ttl, 100_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void twoBridgesReleasingOnePersonQueueEachEventOnceInOrder(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            PendingEvents a = bridge(database.newStore(), Duration.ofDays(7));
            PendingEvents b = bridge(database.newStore(), Duration.ofDays(7));
            List<String> parked = park(a, engine, "person-1");

            atOnce(() -> {
                a.release("person-1");
                return null;
            }, () -> {
                b.release("person-1");
                return null;
            });

            assertThat(a.size()).isZero();
            assertThat(queued(engine)).as("queued again, each once, oldest first").containsExactlyElementsOf(parked);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void twoBridgesExpiringAtOnceDeadLetterEachEventOnce(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            StateStore store = database.newStore();
            PendingEvents a = bridge(store, Duration.ofMillis(1));
            PendingEvents b = bridge(database.newStore(), Duration.ofMillis(1));
            List<String> parked = park(a, "expire-" + engine, "person-2");
            Instant later = Instant.now().plusSeconds(1);

            List<Integer> expired = atOnce(() -> a.expire(later), () -> b.expire(later));

            assertThat(expired.get(0) + expired.get(1)).isEqualTo(WAITING);
            assertThat(a.size()).isZero();
            assertThat(deadLettered(store)).as("dead-lettered, each once").containsExactlyInAnyOrderElementsOf(parked);
        }
    }

    /** A claim that could not queue the event rolls back: the event waits on, for the next release. */
    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aReleaseThatCannotQueueLeavesTheEventsWaiting(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            StateStore store = database.newStore();
            EmbeddedBroker down = new EmbeddedBroker(folder.resolve("down-" + engine), List.of("down"), 0);
            PendingEvents cannotQueue = new PendingEvents(store, new IdentityStore(store, List.of("$.traits.email")),
                    down.eventQueue(), new DeadLetters(store), Duration.ofDays(7), 100_000);
            park(cannotQueue, "down-" + engine, "person-3");

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> cannotQueue.release("person-3"))
                    .isInstanceOf(EventQueue.QueueUnavailableException.class);

            assertThat(cannotQueue.size()).isEqualTo(WAITING);
            PendingEvents running = bridge(store, Duration.ofDays(7));
            running.release("person-3");
            assertThat(running.size()).isZero();
        }
    }

    private static List<String> park(PendingEvents bridge, String prefix, String person) {
        List<String> messageIds = new ArrayList<>();
        for (int index = 0; index < WAITING; index++) {
            String messageId = prefix + "-" + index;
            bridge.park(prefix.replace("expire-", ""), person, messageId,
                    "{\"type\":\"track\",\"event\":\"Waited\",\"messageId\":\"" + messageId + "\",\"anonymousId\":\"anon\"}",
                    "no key yet");
            messageIds.add(messageId);
        }
        return messageIds;
    }

    /** Runs both at the same moment, as two bridges' upkeep would; their results, in order. */
    @SafeVarargs
    private static <T> List<T> atOnce(Callable<T>... bridges) throws Exception {
        CyclicBarrier start = new CyclicBarrier(bridges.length);
        ExecutorService threads = Executors.newFixedThreadPool(bridges.length);
        try {
            List<Future<T>> runs = new ArrayList<>();
            for (Callable<T> bridge : bridges) {
                runs.add(threads.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return bridge.call();
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> run : runs) {
                results.add(run.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            threads.shutdownNow();
        }
    }

    private static List<String> queued(String destination) throws Exception {
        List<String> messageIds = new ArrayList<>();
        try (JMSContext context = broker.connectionFactory().createContext();
             QueueBrowser browser = context.createBrowser(context.createQueue(EmbeddedBroker.subscription(destination)))) {
            for (Object message : Collections.list(browser.getEnumeration())) {
                for (String event : EmbeddedBroker.eventsOf((Message) message)) {
                    messageIds.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(event).path("messageId").asText());
                }
            }
        }
        return messageIds;
    }

    private static List<String> deadLettered(StateStore store) throws Exception {
        List<String> messageIds = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT message_id FROM dead_letter WHERE code = 'identity_timeout'");
             ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                messageIds.add(rows.getString(1));
            }
        }
        return messageIds;
    }
}
