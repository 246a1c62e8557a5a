package org.segmentbridge.state;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;

/**
 * The PostgreSQL counterpart of {@link StoreFailureTest}: the state database server is stopped (an operator's fast
 * shutdown: every session is ended with 57P01, then connections are refused) for ten seconds under load, and started
 * again. Meanwhile the intake answers 200 throughout (it appends to the intake log and does no database work), while
 * the processor waits and health says 503; after, with no restart of the bridge, the processor resumes by itself,
 * health comes back, and every event answered 200 reaches the vendor once.
 * It runs on a server of its own, since it stops it.
 */
class PostgresOutageTest {

    private static final String WRITE_KEY = "postgres-outage-key";
    private static final String ADMIN = "postgres-outage-admin";
    private static final int SENDERS = 3;
    private static final Duration OUTAGE = Duration.ofSeconds(10);

    @Test
    void aStoppedPostgresqlServerIsWaitedOutAndNothingAcceptedIsLostOrDoubled() throws Exception {
        WireMockServer iterable = new WireMockServer(options().dynamicPort());
        iterable.start();
        Map<String, String> settings = OutageLoad.deliveringToIterable(iterable, WRITE_KEY, ADMIN);
        try (PostgresServer postgres = PostgresServer.start()) {
            settings.putAll(postgres.settings(postgres.createDatabase("outage")));
            try (RunningBridge bridge = RunningBridge.start(settings);
                 OutageLoad load = new OutageLoad(bridge, WRITE_KEY, SENDERS)) {
                CamelContext camel = bridge.main().getCamelContext();
                StateStore store = camel.getRegistry().lookupByNameAndType("stateStore", StateStore.class);
                assertThat(store.dialect()).isEqualTo(StateDialect.POSTGRESQL);

                // Running normally: events accepted and delivered.
                await().atMost(Duration.ofSeconds(20)).until(() -> load.accepted().size() >= 150
                        && OutageLoad.delivered(iterable).size() >= 50);

                long stoppedAt = load.elapsed();
                postgres.stop();
                await().atMost(Duration.ofSeconds(10)).until(() -> load.healthSince(stoppedAt, 503));
                long acceptedBeforeTheOutage = load.accepted().size();
                RunningBridge.sleep(Math.max(0, OUTAGE.toMillis() - (load.elapsed() - stoppedAt)));
                long acceptedDuringTheOutage = load.accepted().size() - acceptedBeforeTheOutage;
                long restartedAt = load.elapsed();
                postgres.startAgain();

                // Recovery, by itself: health 200 again, events accepted again, delivered again.
                await().atMost(Duration.ofSeconds(30)).until(() -> load.healthSince(restartedAt, 200));
                long healthyAt = load.firstHealthSince(restartedAt, 200);
                await().atMost(Duration.ofSeconds(20)).until(() -> load.acceptedSince(healthyAt) >= 100);
                load.stopSending();

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(OutageLoad.delivered(iterable).keySet())
                    .as("accepted events delivered").containsAll(load.accepted()));
                RunningBridge.sleep(500); // anything sent twice would arrive now
                Map<String, Long> delivered = OutageLoad.delivered(iterable);

                long firstDown = load.firstHealthSince(stoppedAt, 503);
                List<OutageLoad.Answer> refused = load.refused();
                System.out.printf("PostgresOutageTest: stopped at %d ms; health 503 after %d ms; started again after %d ms; health 200 "
                                + "again %d ms after the restart; %d events accepted (%d during the outage, %d answers 503, slowest "
                                + "answer %d ms, sent at %d ms), %d delivered%n",
                        stoppedAt, firstDown - stoppedAt, restartedAt - stoppedAt, healthyAt - restartedAt, load.accepted().size(),
                        acceptedDuringTheOutage, refused.size(), load.slowestAnswer(), load.slowestAnswerSentAt(), delivered.size());

                assertThat(load.unexpected()).as("answers other than 200 and 503, and requests left unanswered").isEmpty();
                assertThat(refused).as("answers other than 200 from the intake, the server down or not").isEmpty();
                assertThat(acceptedDuringTheOutage).as("events accepted while the server was down").isGreaterThan(100);
                assertThat(load.slowestAnswer()).as("slowest intake answer (ms)").isLessThan(1_000);
                assertThat(bridge.metric("bridge_processor_stalled")).as("the processor runs again").isZero();
                assertThat(firstDown - stoppedAt).as("ms until health said 503").isLessThan(5_000);

                assertThat(delivered.keySet()).as("events delivered to Iterable").isEqualTo(load.accepted());
                assertThat(delivered).as("deliveries per messageId (Iterable's id)").allSatisfy((id, times) -> assertThat(times).isEqualTo(1L));
                assertThat(load.acceptedSince(healthyAt)).as("accepted after the recovery").isPositive();
                assertThat(bridge.deadLetters("iterable", null, ADMIN)).as("dead letters").isEmpty();
                assertThat(bridge.main().getCamelContext()).as("the same application, never restarted").isSameAs(camel);
                assertThat(store.recoveries()).isPositive();
                assertThat(bridge.getManagement("/observe/health").statusCode()).isEqualTo(200);
                assertThat(load.logged(PostgresServer.PASSWORD)).as("log lines (and their exceptions) carry the database password").isFalse();
            }
        } finally {
            iterable.stop();
        }
    }
}
