package org.segmentbridge.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * Erasure with several bridges on one PostgreSQL database (cluster mode): every bridge keeps the tombstones in memory,
 * for the check every event goes through, and an erasure one bridge carried out keeps the person out of every other
 * bridge within a second: its processor drops the person's events, its delivery skips those already queued, its send
 * guard stops them.
 */
class SharedTombstonesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The promise: another bridge's erasure counts everywhere within this. */
    private static final Duration WITHIN = Duration.ofSeconds(1);

    private final SharedStateDatabase database = SharedStateDatabase.postgresql();

    @AfterEach
    void close() {
        database.close();
    }

    /** What one bridge builds on its state store for privacy, as BridgeConfiguration wires it. */
    private static final class Bridge {
        final StateStore store;
        final IdentityStore identity;
        final Erasures erasures;
        final Privacy privacy;
        final ErasureSteps delivery;

        Bridge(StateStore store) {
            this.store = store;
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            identity = new IdentityStore(store, List.of("$.traits.email", "$.context.traits.email"));
            SuppressionStore suppressions = new SuppressionStore(store);
            erasures = new Erasures(identity, suppressions, new PrivacyAudit(store), List.of(identity, suppressions),
                    "context.traits.email", meters);
            privacy = new Privacy(store, new ConsentChanges(identity, suppressions, meters, Set.of("operator")), erasures);
            delivery = new ErasureSteps(erasures, meters, List.of());
        }

        /** Dropped by this bridge's processor, skipped by its delivery. */
        boolean keepsOut(ObjectNode event) {
            boolean processor = processorKeepsOut(event);
            assertThat(deliveryKeepsOut(event)).as("delivery and processor agree").isEqualTo(processor);
            return processor;
        }

        boolean processorKeepsOut(ObjectNode event) {
            return privacy.withoutErased(List.of(event), "test").isEmpty();
        }

        boolean deliveryKeepsOut(ObjectNode event) {
            return !delivery.admits(event);
        }
    }

    @Test
    void anErasureInOneBridgeKeepsThePersonOutOfAnotherWithinOneSecond() throws Exception {
        Bridge a = new Bridge(database.newStore());
        Bridge b = new Bridge(database.newStore());
        a.identity.observeAll(List.of(event("""
                {"type":"identify","messageId":"id-1","userId":"u-1","anonymousId":"anon-1","traits":{"email":"ann@example.com"}}""")),
                Instant.now());
        ObjectNode byUser = event("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"t-1\",\"userId\":\"u-1\"}");
        ObjectNode byAnonymousId = event("{\"type\":\"page\",\"messageId\":\"p-1\",\"anonymousId\":\"anon-1\"}");
        ObjectNode byEmail = event("""
                {"type":"identify","messageId":"i-2","userId":"other-id","traits":{"email":"ANN@example.com"}}""");
        // B has been running: it has read the tombstones (there were none) and checks every event against its memory.
        assertThat(b.keepsOut(byUser)).isFalse();
        assertThat(b.keepsOut(byEmail)).isFalse();

        a.privacy.screenAlone(event("{\"type\":\"delete\",\"messageId\":\"erase-ann\",\"userId\":\"u-1\"}"), Instant.now());
        long committed = System.nanoTime();

        assertThat(a.keepsOut(byUser)).as("at once in the bridge that erased").isTrue();
        assertThat(untilKeptOut(b, byUser, committed)).as("another bridge keeps the person out, after the commit").isLessThan(WITHIN);
        assertThat(b.keepsOut(byAnonymousId)).isTrue();
        assertThat(b.keepsOut(byEmail)).as("by the email, in any case").isTrue();
    }

    /**
     * Erasures of two bridges at once, the first to start committing last: a third bridge, reading new tombstones
     * meanwhile, sees both, and neither bridge's erasure waited for the other's longer than its transaction.
     */
    @Test
    void erasuresThatCommitInAnyOrderAreAllSeenByEveryBridge() throws Exception {
        Bridge a = new Bridge(database.newStore());
        Bridge b = new Bridge(database.newStore());
        Bridge c = new Bridge(database.newStore());
        ObjectNode first = event("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"t-a\",\"userId\":\"first\"}");
        ObjectNode second = event("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"t-c\",\"userId\":\"second\"}");
        assertThat(b.keepsOut(first)).isFalse();

        CompletableFuture<Void> secondErasure;
        try (Connection transaction = a.store.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            Privacy.Screening screening = a.privacy.screen(transaction,
                    List.of(event("{\"type\":\"delete\",\"messageId\":\"erase-first\",\"userId\":\"first\"}")), alone -> "", Instant.now());
            // C's erasure starts while A's is open, and is lined up behind it.
            secondErasure = CompletableFuture.runAsync(() -> {
                try {
                    c.privacy.screenAlone(event("{\"type\":\"delete\",\"messageId\":\"erase-second\",\"userId\":\"second\"}"), Instant.now());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(400);
            assertThat(secondErasure).as("C waits for A's erasure").isNotDone();
            assertThat(b.keepsOut(first)).isFalse();
            assertThat(b.keepsOut(second)).isFalse();
            transaction.commit();
            a.privacy.committed(screening);
        }
        secondErasure.get(5, TimeUnit.SECONDS);
        long bothCommitted = System.nanoTime();

        assertThat(untilKeptOut(b, second, bothCommitted)).isLessThan(WITHIN);
        assertThat(b.keepsOut(first)).isTrue();
        assertThat(untilKeptOut(a, second, bothCommitted)).isLessThan(WITHIN);
        assertThat(untilKeptOut(c, first, bothCommitted)).isLessThan(WITHIN);
    }

    /** A bridge started after erasures finds them all, and the check costs no query between reads. */
    @Test
    void aBridgeStartedLaterReadsEveryTombstone() throws Exception {
        Bridge a = new Bridge(database.newStore());
        for (int person = 0; person < 3; person++) {
            a.privacy.screenAlone(event("{\"type\":\"delete\",\"messageId\":\"erase-" + person + "\",\"userId\":\"gone-" + person + "\"}"),
                    Instant.now());
        }
        Bridge later = new Bridge(database.newStore());
        for (int person = 0; person < 3; person++) {
            assertThat(later.keepsOut(event("{\"type\":\"track\",\"event\":\"Back\",\"messageId\":\"b-" + person
                    + "\",\"userId\":\"gone-" + person + "\"}"))).isTrue();
        }
        assertThat(later.keepsOut(event("{\"type\":\"track\",\"event\":\"New\",\"messageId\":\"n\",\"userId\":\"still-here\"}"))).isFalse();
    }

    /** How long after {@code started} (a nanoTime) the bridge first kept the event out. */
    private static Duration untilKeptOut(Bridge bridge, ObjectNode event, long started) throws InterruptedException {
        // Each of the two reads the shared tombstones on its own refresh: while the erasure arrives, one may see it a
        // moment before the other. Once both keep the event out, keepsOut checks that they agree.
        while (!(bridge.processorKeepsOut(event) && bridge.deliveryKeepsOut(event))) {
            if (System.nanoTime() - started > Duration.ofSeconds(3).toNanos()) {
                throw new AssertionError("the bridge still lets the erased person's events through after 3 s");
            }
            Thread.sleep(10);
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    private static ObjectNode event(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
