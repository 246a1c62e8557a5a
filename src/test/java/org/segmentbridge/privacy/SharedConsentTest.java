package org.segmentbridge.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
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
 * Consent with several bridges on one PostgreSQL database (cluster mode). No bridge remembers consent (the send guard
 * and the weighing read the store); what must hold is that one opt-out reported twice at the same moment (by Segment
 * and by a vendor, read by two bridges) is marked changed once, so each platform gets one call, not two.
 */
class SharedConsentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUBJECT = "ann@example.com";

    private final SharedStateDatabase database = SharedStateDatabase.postgresql();

    @AfterEach
    void close() {
        database.close();
    }

    private record Bridge(StateStore store, ConsentChanges consent) {
        static Bridge on(StateStore store) {
            SuppressionStore suppressions = new SuppressionStore(store);
            IdentityStore identity = new IdentityStore(store, List.of("$.traits.email"));
            return new Bridge(store, new ConsentChanges(identity, suppressions, new SimpleMeterRegistry(), Set.of("sailthru", "operator")));
        }

        /** Weighs the event as the processor does, in a transaction; {@code beforeCommit} runs before it commits. */
        boolean weigh(ObjectNode event, Runnable beforeCommit) throws SQLException {
            try (Connection transaction = store.dataSource().getConnection()) {
                transaction.setAutoCommit(false);
                try {
                    boolean changed = consent.weigh(transaction, event, SUBJECT, ConsentSignal.in(event).orElseThrow(), Instant.now());
                    beforeCommit.run();
                    transaction.commit();
                    return changed;
                } catch (SQLException | RuntimeException e) {
                    transaction.rollback();
                    throw e;
                }
            }
        }
    }

    @Test
    void anOptOutTwoBridgesWeighAtOnceIsOneChange() throws Exception {
        Bridge a = Bridge.on(database.newStore());
        Bridge b = Bridge.on(database.newStore());
        assertThat(a.weigh(subscribed("sub-1"), () -> { })).isTrue();

        CompletableFuture<Boolean> second = new CompletableFuture<>();
        boolean first = a.weigh(unsubscribed("unsub-segment", null), () -> {
            // B weighs the same opt-out, reported by Sailthru, while A's change is not committed yet.
            CompletableFuture.runAsync(() -> {
                try {
                    second.complete(b.weigh(unsubscribed("unsub-sailthru", "sailthru"), () -> { }));
                } catch (Exception e) {
                    second.completeExceptionally(e);
                }
            });
            sleep(300);
        });

        assertThat(first).isTrue();
        assertThat(second.get(5, TimeUnit.SECONDS)).as("the second report of the same opt-out changes nothing").isFalse();
        assertThat(a.consent().suppressions().current(SUBJECT, ConsentChanges.EMAIL).orElseThrow().origin()).isEqualTo("segment");
    }

    /** With no row yet, the primary key lets one in: the other's batch fails, and weighed again it changes nothing. */
    @Test
    void aFirstOptOutTwoBridgesWeighAtOnceIsOneChange() throws Exception {
        Bridge a = Bridge.on(database.newStore());
        Bridge b = Bridge.on(database.newStore());

        CompletableFuture<Boolean> second = new CompletableFuture<>();
        boolean first = a.weigh(unsubscribed("unsub-segment", null), () -> {
            CompletableFuture.runAsync(() -> {
                try {
                    second.complete(b.weigh(unsubscribed("unsub-sailthru", "sailthru"), () -> { }));
                } catch (Exception e) {
                    second.completeExceptionally(e);
                }
            });
            sleep(300);
        });

        assertThat(first).isTrue();
        assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS)).hasRootCauseInstanceOf(SQLException.class)
                .rootCause().satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("23"));
        assertThat(b.weigh(unsubscribed("unsub-sailthru", "sailthru"), () -> { })).as("the processor's retry").isFalse();
    }

    private static ObjectNode subscribed(String messageId) {
        return event("{\"type\":\"track\",\"event\":\"Subscribed\",\"messageId\":\"" + messageId
                + "\",\"userId\":\"u-1\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"context\":{\"traits\":{\"email\":\"" + SUBJECT + "\"}}}");
    }

    private static ObjectNode unsubscribed(String messageId, String origin) {
        String integration = origin == null ? "" : ",\"integration\":{\"name\":\"" + origin + "\"}";
        return event("{\"type\":\"track\",\"event\":\"Unsubscribed\",\"messageId\":\"" + messageId
                + "\",\"userId\":\"u-1\",\"context\":{\"traits\":{\"email\":\"" + SUBJECT + "\"}" + integration + "}}");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ObjectNode event(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
