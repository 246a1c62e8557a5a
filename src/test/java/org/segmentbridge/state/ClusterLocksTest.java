package org.segmentbridge.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * Locks every bridge on one state database respects: one holder at a time across bridges, a dead holder's lock free
 * again once its lease expired, a live holder's kept by renewal, and nothing left behind. On PostgreSQL and H2.
 */
class ClusterLocksTest {

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void oneBridgeAtATimeHoldsALock(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            StateStore store = database.newStore();
            List<ClusterLocks> bridges = List.of(new ClusterLocks(store), new ClusterLocks(database.newStore()),
                    new ClusterLocks(database.newStore()));
            AtomicInteger holding = new AtomicInteger();
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<String>> runs = new ArrayList<>();
            for (int run = 0; run < 9; run++) {
                ClusterLocks bridge = bridges.get(run % 3);
                String name = "run-" + run;
                runs.add(bridge.holding("the list 'VIP'", "account-1", () -> {
                    seen.add(holding.incrementAndGet());
                    return CompletableFuture.supplyAsync(() -> {
                        sleep(50);
                        holding.decrementAndGet();
                        return name;
                    });
                }));
            }
            for (CompletableFuture<String> run : runs) {
                run.get(20, TimeUnit.SECONDS);
            }

            assertThat(seen).hasSize(9).containsOnly(1);
            assertThat(leases(store)).as("every lock let go").isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aDeadHoldersLockIsTakenOverOnceItsLeaseExpired(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            StateStore store = database.newStore();
            ClusterLocks other = new ClusterLocks(database.newStore(), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5));
            Instant expires = Instant.now().plusMillis(500);
            // A bridge that died holding the lock: its lease runs out in half a second.
            try (Connection connection = store.dataSource().getConnection();
                 PreparedStatement insert = connection.prepareStatement("INSERT INTO job_lease (job, holder, expires_at) VALUES (?, ?, ?)")) {
                insert.setString(1, ClusterLocks.key("account-1\u0000the list 'VIP'"));
                insert.setString(2, "bridge-dead");
                insert.setTimestamp(3, Timestamp.from(expires));
                insert.executeUpdate();
            }

            Instant ran = other.holding("the list 'VIP'", "account-1", () -> CompletableFuture.completedFuture(Instant.now()))
                    .get(10, TimeUnit.SECONDS);

            assertThat(ran).as("taken over once expired, not before").isAfter(expires);
            assertThat(leases(store)).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aLiveHolderKeepsItsLockPastTheLeaseAndTheOtherGivesUpForNow(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            ClusterLocks holder = new ClusterLocks(database.newStore(), Duration.ofMillis(400), Duration.ofMillis(100), Duration.ofSeconds(5));
            ClusterLocks other = new ClusterLocks(database.newStore(), Duration.ofMillis(400), Duration.ofMillis(100), Duration.ofMillis(1200));
            CompletableFuture<Void> release = new CompletableFuture<>();
            CompletableFuture<Void> held = new CompletableFuture<>();
            CompletableFuture<Void> slowWork = holder.holding("the list 'VIP'", "account-1", () -> {
                held.complete(null);
                return release;
            });
            held.get(5, TimeUnit.SECONDS);

            CompletableFuture<String> waiting = other.holding("the list 'VIP'", "account-1", () -> CompletableFuture.completedFuture("twice"));

            assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(ClusterLocks.Busy.class);
            release.complete(null);
            slowWork.get(5, TimeUnit.SECONDS);
            assertThat(other.holding("the list 'VIP'", "account-1", () -> CompletableFuture.completedFuture("now")).get(5, TimeUnit.SECONDS))
                    .isEqualTo("now");
        }
    }

    private static int leases(StateStore store) throws Exception {
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement("SELECT COUNT(*) FROM job_lease WHERE job LIKE 'lock:%'");
             ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
