package org.segmentbridge.state;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestStateDatabase;

/**
 * Issue 14: after the state database failed (H2 closed it after an out-of-memory error) every intake request answered
 * 503 for as long as the process lived, delivery stopped, and health stayed 200. Here the real application, under
 * load, delivering to a fake Iterable with the shipped route, has its state database fail the same way, and the file
 * stays locked for a while (it cannot be reopened). Meanwhile the intake answers 200 throughout (it only appends to
 * the intake log), the processor waits, health turns 503; then, with no restart, everything recovers by itself and
 * nothing accepted is lost or doubled.
 */
class StoreFailureTest {

    private static final String WRITE_KEY = "store-failure-key";
    private static final String ADMIN = "store-failure-admin";
    private static final int SENDERS = 3;
    /** How long the database file stays locked after the failure: the database cannot be reopened meanwhile. */
    private static final Duration UNAVAILABLE = Duration.ofSeconds(2);

    @Test
    void aFailedStateDatabaseRecoversByItselfUnderLoadAndNothingAcceptedIsLostOrDoubled() throws Exception {
        assumeFalse(TestStateDatabase.postgresql(), "fails embedded H2 itself; PostgresOutageTest is the PostgreSQL counterpart");
        String password = "state-pw-" + UUID.randomUUID();
        WireMockServer iterable = new WireMockServer(options().dynamicPort());
        iterable.start();
        Map<String, String> settings = OutageLoad.deliveringToIterable(iterable, WRITE_KEY, ADMIN);
        settings.put("bridge.state.password", password);
        try (RunningBridge bridge = RunningBridge.start(settings);
             OutageLoad load = new OutageLoad(bridge, WRITE_KEY, SENDERS)) {
            CamelContext camel = bridge.main().getCamelContext();
            StateStore store = camel.getRegistry().lookupByNameAndType("stateStore", StateStore.class);

            // Running normally: events accepted and delivered.
            await().atMost(Duration.ofSeconds(20)).until(() -> load.accepted().size() >= 150 && delivered(iterable).size() >= 50);

            // H2 closes the database as it does after an OutOfMemoryError inside a statement (the failure of the issue).
            // It happens on a pooled connection this test keeps in use, like a request still busy with it, and underneath
            // the pool (which would close it at once): the store does not open the file again while it is open, so the
            // test can lock the file first, and the database cannot be reopened until the lock goes.
            Connection victim = store.dataSource().getConnection();
            long failedAt = load.elapsed();
            assertThat(H2Failures.outOfMemoryThrough(victim.unwrap(Connection.class)).getErrorCode()).isEqualTo(90108);
            AutoCloseable fileLock = H2Failures.lockDatabaseFile(bridge.dataDir(), Duration.ofSeconds(5));
            try {
                victim.close();
            } catch (SQLException evicted) {
                // a connection to a closed database
            }
            String healthMessage;
            long unlockedAt;
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> load.healthSince(failedAt, 503));
                HealthCheck.Result result = HealthCheckHelper.invoke(camel).stream()
                        .filter(check -> check.getCheck().getId().equals("state-store")).findFirst().orElseThrow();
                assertThat(result.getState()).isEqualTo(HealthCheck.State.DOWN);
                healthMessage = result.getMessage().orElse("");
                long elapsed = load.elapsed() - failedAt;
                RunningBridge.sleep(Math.max(0, UNAVAILABLE.toMillis() - elapsed));
            } finally {
                fileLock.close();
                unlockedAt = load.elapsed();
            }

            // Recovery, by itself: health 200 again, events accepted again, delivered again.
            await().atMost(Duration.ofSeconds(20)).until(() -> load.healthSince(unlockedAt, 200));
            long healthyAt = load.firstHealthSince(unlockedAt, 200);
            await().atMost(Duration.ofSeconds(20)).until(() -> load.acceptedSince(healthyAt) >= 100);
            load.stopSending();

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(delivered(iterable).keySet())
                    .as("accepted events delivered").containsAll(load.accepted()));
            RunningBridge.sleep(500); // anything sent twice would arrive now
            Map<String, Long> delivered = delivered(iterable);

            long firstDown = load.firstHealthSince(failedAt, 503);
            List<OutageLoad.Answer> refused = load.refused();
            System.out.printf("StoreFailureTest: failed at %d ms; health 503 after %d ms; file unlocked after %d ms; health 200 again "
                            + "%d ms after the failure (%d ms after the unlock); %d events accepted (%d answers 503, slowest answer %d ms), "
                            + "%d delivered, the last accepted at %d ms%n",
                    failedAt, firstDown - failedAt, unlockedAt - failedAt, healthyAt - failedAt, healthyAt - unlockedAt,
                    load.accepted().size(), refused.size(), load.slowestAnswer(), delivered.size(), load.lastAccepted());

            assertThat(load.unexpected()).as("answers other than 200 and 503, and requests left unanswered").isEmpty();
            assertThat(refused).as("answers other than 200 from the intake, the store down or not").isEmpty();
            assertThat(load.slowestAnswer()).as("slowest intake answer (ms)").isLessThan(1_000);
            assertThat(healthMessage).as("the health check names the problem").startsWith("the state database")
                    .doesNotContain(password);
            assertThat(firstDown - failedAt).as("ms until health said 503").isLessThan(5_000);

            assertThat(delivered.keySet()).as("events delivered to Iterable").isEqualTo(load.accepted());
            assertThat(delivered).as("deliveries per messageId (Iterable's id)").allSatisfy((id, times) -> assertThat(times).isEqualTo(1L));
            assertThat(load.acceptedSince(healthyAt)).as("accepted after the recovery").isPositive();
            assertThat(bridge.deadLetters("iterable", null, ADMIN)).as("dead letters").isEmpty();
            assertThat(camel.getStatus().isStarted()).isTrue();
            assertThat(bridge.main().getCamelContext()).as("the same application, never restarted").isSameAs(camel);
            assertThat(store.recoveries()).isPositive();
            assertThat(bridge.getManagement("/observe/health").statusCode()).isEqualTo(200);
            // Whether delivery met the outage at all depends on timing (it remembers these few people's ids and may
            // have drained everything before the failure); that it goes on is shown by the deliveries after the recovery.
            assertThat(load.logged(password)).as("log lines (and their exceptions) carry the database password").isFalse();
        } finally {
            iterable.stop();
        }
    }

    private static Map<String, Long> delivered(WireMockServer iterable) {
        return OutageLoad.delivered(iterable);
    }
}
