package org.segmentbridge.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.segmentbridge.crash.CrashPoints;
import org.segmentbridge.support.RunningBridge;

/**
 * An event the processor fails on for a reason other than an outage (a defect) does not stop the events behind it:
 * after its retries it becomes a dead letter of destination {@code processor}, naming the failure, and a replay
 * once the defect is gone sends it through the processor to every destination.
 */
class ProcessorFailureTest {

    private static final String WRITE_KEY = "processor-failure-key";
    private static final String ADMIN = "processor-failure-admin";

    @Test
    void anEventThatAlwaysFailsIsDeadLetteredAndTheOthersGoOn() {
        String poison = "poison-" + UUID.randomUUID();
        System.setProperty(CrashPoints.FAIL_ON, poison);
        try (RunningBridge bridge = RunningBridge.start(Map.of("bridge.destinations", "emarsys,segment",
                "bridge.delivery.enabled", "false", "bridge.write-keys", WRITE_KEY, "bridge.admin-token", ADMIN))) {
            String before = "before-" + UUID.randomUUID();
            String after = "after-" + UUID.randomUUID();
            for (String messageId : List.of(before, poison, after)) {
                assertThat(bridge.postTracking("/v1/track", WRITE_KEY,
                        "{\"userId\":\"u-poison\",\"event\":\"E\",\"messageId\":\"" + messageId + "\"}").statusCode()).isEqualTo(200);
            }

            await().atMost(Duration.ofSeconds(30)).until(() -> !bridge.deadLetters("processor", poison, ADMIN).isEmpty());
            JsonNode letter = bridge.deadLetters("processor", poison, ADMIN).get(0);
            assertThat(letter.path("code").asText()).isEqualTo("processing_failed");
            assertThat(letter.path("reason").asText()).contains("failing on purpose");
            assertThat(messageIds(bridge, "emarsys")).containsExactly(before, after);
            assertThat(bridge.getManagement("/observe/health").statusCode()).isEqualTo(200);

            System.clearProperty(CrashPoints.FAIL_ON);
            assertThat(bridge.send("POST", "/admin/dead-letters/" + letter.path("id").asText() + "/replay",
                    "Authorization", "Bearer " + ADMIN).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> messageIds(bridge, "segment").contains(poison));
            assertThat(messageIds(bridge, "emarsys")).containsExactly(before, after, poison);
            assertThat(bridge.deadLetters("processor", null, ADMIN)).isEmpty();
        } finally {
            System.clearProperty(CrashPoints.FAIL_ON);
        }
    }

    private static List<String> messageIds(RunningBridge bridge, String destination) {
        return bridge.queued(destination).stream().map(event -> event.body().path("messageId").asText()).toList();
    }
}
