package org.segmentbridge.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/**
 * State on PostgreSQL, in either pass of the suite: the statements that differ from H2 (the dedupe ledger's claim), and
 * the setting that selects it. The whole suite runs on PostgreSQL in the second pass of {@code .ci/run}.
 */
class PostgresStateTest {

    private static final String WRITE_KEY = "postgres-state-key";

    private static PostgresServer postgres;
    private static RunningBridge bridge;

    @BeforeAll
    static void startBridgeOnPostgresql() {
        postgres = PostgresServer.shared();
        Map<String, String> settings = new HashMap<>(postgres.settings(postgres.createDatabase("ledger")));
        settings.put("bridge.write-keys", WRITE_KEY);
        settings.put("bridge.destinations", "segment");
        bridge = RunningBridge.start(settings);
    }

    @AfterAll
    static void stopBridge() {
        if (bridge != null) {
            bridge.close();
        }
    }

    /**
     * The issue: the ledger caught the duplicate key and went on in the transaction PostgreSQL had aborted, so every
     * resent messageId was answered 503, for ever.
     */
    @Test
    void aResentMessageIdIsAnsweredOkAndStoredOnce() {
        String event = event("resent-once");

        List<Integer> statuses = new ArrayList<>();
        for (int copy = 0; copy < 3; copy++) {
            statuses.add(bridge.postTracking("/v1/track", WRITE_KEY, event).statusCode());
        }

        assertThat(statuses).containsExactly(200, 200, 200);
        assertThat(bridge.queuedWhere("segment", "messageId", "resent-once")).hasSize(1);
        assertThat(bridge.postTracking("/v1/track", WRITE_KEY, event("after-the-copies")).statusCode())
                .as("a new event after the copies").isEqualTo(200);
        assertThat(store().dialect()).isEqualTo(StateDialect.POSTGRESQL);
    }

    @Test
    void copiesSentAtOnceAreAllAnsweredOkAndStoredOnce() throws Exception {
        String event = event("sent-at-once");
        ExecutorService senders = Executors.newFixedThreadPool(8);
        try {
            List<Callable<HttpResponse<String>>> copies = new ArrayList<>();
            for (int copy = 0; copy < 8; copy++) {
                copies.add(() -> bridge.postTracking("/v1/track", WRITE_KEY, event));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> answer : senders.invokeAll(copies)) {
                statuses.add(answer.get().statusCode());
            }

            assertThat(statuses).containsOnly(200).hasSize(8);
            assertThat(bridge.queuedWhere("segment", "messageId", "sent-at-once")).hasSize(1);
        } finally {
            senders.shutdownNow();
        }
    }

    @Test
    void aBatchNamingOneMessageIdTwiceStoresItOnce() {
        String batch = "{\"batch\":[" + event("twice-in-a-batch") + "," + event("twice-in-a-batch") + "," + event("once-in-a-batch") + "]}";

        assertThat(bridge.postTracking("/v1/batch", WRITE_KEY, batch).statusCode()).isEqualTo(200);

        assertThat(bridge.queuedWhere("segment", "messageId", "twice-in-a-batch")).hasSize(1);
        assertThat(bridge.queuedWhere("segment", "messageId", "once-in-a-batch")).hasSize(1);
    }

    /**
     * PostgreSQL's text cannot hold a NUL character (H2's can): whatever would be written or looked up as text with one
     * is refused or not found before the database is asked, on both, rather than answered 503 for ever.
     */
    @Test
    void aNulCharacterIsRefusedOrNotFoundNeverAStoreFailure() {
        HttpResponse<String> userId = bridge.postTracking("/v1/track", WRITE_KEY,
                "{\"userId\":\"a\\u0000b\",\"event\":\"Nul\",\"messageId\":\"nul-user\"}");
        HttpResponse<String> messageId = bridge.postTracking("/v1/track", WRITE_KEY,
                "{\"userId\":\"nul\",\"event\":\"Nul\",\"messageId\":\"nul\\u0000id\"}");
        HttpResponse<String> email = bridge.postTracking("/v1/identify", WRITE_KEY,
                "{\"userId\":\"nul\",\"traits\":{\"email\":\"a\\u0000@example.com\"},\"messageId\":\"nul-email\"}");

        assertThat(userId.statusCode()).as(userId.body()).isEqualTo(400);
        assertThat(RunningBridge.json(userId).path("field").asText()).isEqualTo("userId");
        assertThat(messageId.statusCode()).as(messageId.body()).isEqualTo(400);
        assertThat(RunningBridge.json(messageId).path("field").asText()).isEqualTo("messageId");
        assertThat(email.statusCode()).as(email.body()).isEqualTo(400);
        assertThat(RunningBridge.json(email).path("error").asText()).contains("NUL");
    }

    @Test
    void anotherDatabaseIsRefusedAtTheStartNamingTheSetting() throws Exception {
        assertThatThrownBy(() -> RunningBridge.start(TestFolders.create("bridge-mysql-"),
                Map.of("bridge.state.jdbc-url", "jdbc:mysql://db:3306/bridge")))
                .hasStackTraceContaining("Setting bridge.state.jdbc-url: jdbc:mysql: is not supported");
    }

    private static StateStore store() {
        return bridge.main().getCamelContext().getRegistry().lookupByNameAndType("stateStore", StateStore.class);
    }

    private static String event(String messageId) {
        return "{\"type\":\"track\",\"userId\":\"ledger-user\",\"event\":\"Resent\",\"messageId\":\"" + messageId + "\"}";
    }
}
