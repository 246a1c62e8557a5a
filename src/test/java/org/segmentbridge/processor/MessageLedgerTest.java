package org.segmentbridge.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * The message ledger's claim of a processor batch, on PostgreSQL and H2: which ids are fresh, which are duplicates
 * (sent again, or twice in one batch), which are the same record read again (a replay), that an id past the window is
 * taken again (and the marks of its old claim are not its marks), and that two processors claiming the same id at
 * once take it once.
 */
class MessageLedgerTest {

    private static final Duration WINDOW = Duration.ofHours(24);
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aBatchOfNewIdsIsFreshAndAnIdNamedTwiceInItIsADuplicate(String engine) throws Exception {
        onFreshDatabase(engine, (store, ledger) -> {
            List<String> found = claim(store, ledger, List.of(
                    claiming("m-1", "r1:0"), claiming("m-2", "r1:1"), claiming("m-1", "r1:2"), claiming("m-3", "r1:3")));

            assertThat(found).containsExactly("Fresh", "Fresh", "Duplicate", "Fresh");
            assertThat(positionOf(store, "m-1")).isEqualTo("r1:0");
            assertThat(positionOf(store, "m-3")).isEqualTo("r1:3");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aKnownIdIsADuplicateAtAnotherPositionAndAReplayAtItsOwn(String engine) throws Exception {
        onFreshDatabase(engine, (store, ledger) -> {
            assertThat(claim(store, ledger, List.of(claiming("sent", "r1:0"), claiming("read-again", "r1:1"))))
                    .containsExactly("Fresh", "Fresh");

            List<String> found = claim(store, ledger, List.of(
                    claiming("new-1", "r2:0"), claiming("sent", "r2:1"), claiming("read-again", "r1:1"), claiming("new-2", "r2:3")));

            assertThat(found).containsExactly("Fresh", "Duplicate", "Replay", "Fresh");
            assertThat(positionOf(store, "sent")).as("the copy takes nothing").isEqualTo("r1:0");
            assertThat(positionOf(store, "new-2")).isEqualTo("r2:3");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void anIdPastTheWindowIsTakenAgainAtItsNewPosition(String engine) throws Exception {
        onFreshDatabase(engine, (store, ledger) -> {
            Instant dayAgo = NOW.minus(WINDOW).minusSeconds(1);
            claim(store, ledger, List.of(new Claiming("old", "r1:0", dayAgo),
                    new Claiming("recent", "r1:1", NOW.minusSeconds(60))));
            MessageMarks marks = new MessageMarks(store, WINDOW);
            try (Connection connection = store.dataSource().getConnection()) {
                marks.record(connection, "old", "r1:0", dayAgo, "{\"route\":\"NONE\"}", Set.of());
            }
            assertThat(marks.ofClaimed("old")).contains(Optional.of("{\"route\":\"NONE\"}"));

            List<String> found = claim(store, ledger, List.of(claiming("old", "r2:0"), claiming("recent", "r2:1")));

            assertThat(found).containsExactly("Fresh", "Duplicate");
            assertThat(positionOf(store, "old")).isEqualTo("r2:0");
            assertThat(marks.ofClaimed("old")).as("the old marks go with the old claim").contains(Optional.empty());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void twoProcessorsClaimingTheSameIdAtOnceTakeItOnce(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            StateStore first = database.newStore();
            StateStore second = database.newStore();
            MessageLedger firstLedger = new MessageLedger(first, WINDOW);
            MessageLedger secondLedger = new MessageLedger(second, WINDOW);

            try (Connection holding = first.dataSource().getConnection()) {
                holding.setAutoCommit(false);
                List<MessageLedger.Claim> firstClaims = claimAll(firstLedger, holding,
                        List.of(claiming("shared", "p1:0"), claiming("only-first", "p1:1")));
                // The second claims the same id while the first has not committed: it waits on the row.
                CompletableFuture<List<String>> secondClaims = CompletableFuture.supplyAsync(() -> {
                    try {
                        return claim(second, secondLedger, List.of(claiming("only-second", "p2:0"), claiming("shared", "p2:1")));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(300);
                assertThat(secondClaims).as("waits for the first transaction").isNotDone();
                holding.commit();

                assertThat(names(firstClaims)).containsExactly("Fresh", "Fresh");
                assertThat(secondClaims.get(15, TimeUnit.SECONDS)).containsExactly("Fresh", "Duplicate");
            }
            assertThat(positionOf(first, "shared")).isEqualTo("p1:0");
        }
    }

    /** One case, on a new database of the engine: the store and a ledger on it. */
    private interface LedgerCase {
        void run(StateStore store, MessageLedger ledger) throws Exception;
    }

    private static void onFreshDatabase(String engine, LedgerCase body) throws Exception {
        SharedStateDatabase.onFreshStore(engine, store -> body.run(store, new MessageLedger(store, WINDOW)));
    }

    /** An id to claim at a position, received at {@code receivedAt}. */
    private record Claiming(String messageId, String position, Instant receivedAt) {
    }

    private static Claiming claiming(String messageId, String position) {
        return new Claiming(messageId, position, NOW);
    }

    /** A processor batch's claims, in its order, in the caller's transaction: as the processor makes them. */
    private static List<MessageLedger.Claim> claimAll(MessageLedger ledger, Connection transaction, List<Claiming> batch)
            throws SQLException {
        List<MessageLedger.Claim> claims = new ArrayList<>();
        for (Claiming each : batch) {
            claims.add(ledger.claim(transaction, each.messageId(), each.position(), each.receivedAt()));
        }
        return claims;
    }

    /** Claims in a transaction of its own, committed; what each id found, by name. */
    private static List<String> claim(StateStore store, MessageLedger ledger, List<Claiming> batch)
            throws SQLException {
        try (Connection transaction = store.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            List<MessageLedger.Claim> claims = claimAll(ledger, transaction, batch);
            transaction.commit();
            return names(claims);
        }
    }

    private static List<String> names(List<MessageLedger.Claim> claims) {
        List<String> names = new ArrayList<>();
        for (MessageLedger.Claim claim : claims) {
            names.add(claim.getClass().getSimpleName());
        }
        return names;
    }

    private static String positionOf(StateStore store, String messageId) throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT log_position FROM received_message WHERE message_id = ?")) {
            query.setString(1, messageId);
            try (ResultSet row = query.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }
}
