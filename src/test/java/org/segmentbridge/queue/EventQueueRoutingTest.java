package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.queue.IntakeLog;
import org.segmentbridge.support.RunningBridge;

/**
 * Events the processor publishes for every destination and events put back for one destination (a replay, a released
 * event), interleaved over the same pooled sessions, each reach exactly their queues. (Once published to a queue by
 * its fully qualified name, Artemis' reuse of a session's last routing sent either kind to the other's queues; the
 * destinations' queue filters leave no such name to reuse.)
 */
class EventQueueRoutingTest {

    private static final String WRITE_KEY = "routing-key";
    private static RunningBridge bridge;
    private static EventQueue queue;

    @BeforeAll
    static void start() {
        // Nothing reads the queues, so they hold exactly what was published.
        bridge = RunningBridge.start(Map.of("bridge.destinations", "emarsys,segment", "bridge.delivery.enabled", "false",
                "bridge.write-keys", WRITE_KEY));
        EmbeddedBroker broker = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("eventBroker", EmbeddedBroker.class);
        queue = broker.eventQueue();
    }

    @AfterAll
    static void stop() {
        bridge.close();
    }

    @Test
    void everyDestinationAndOneDestinationSendsNeverMix() {
        List<String> toAll = new ArrayList<>();
        List<String> toSegment = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            toAll.add(track("all-" + round + "-a"));
            toSegment.add(putBack("segment", "segment-" + round + "-a"));
            toSegment.add(putBack("segment", "segment-" + round + "-b"));
            toAll.add(track("all-" + round + "-b"));
            bridge.awaitProcessed();
        }

        assertThat(messageIds("emarsys")).containsExactlyElementsOf(toAll);
        List<String> both = new ArrayList<>(toAll);
        both.addAll(toSegment);
        assertThat(messageIds("segment")).containsExactlyInAnyOrderElementsOf(both);
    }

    private static String track(String messageId) {
        assertThat(bridge.postTracking("/v1/track", WRITE_KEY,
                "{\"event\":\"E\",\"userId\":\"u\",\"messageId\":\"" + messageId + "\"}").statusCode()).isEqualTo(200);
        return messageId;
    }

    private static String putBack(String destination, String messageId) {
        queue.republish(destination, IntakeLog.Entry.parse(
                "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u\",\"messageId\":\"" + messageId + "\"}"), null);
        return messageId;
    }

    private static List<String> messageIds(String destination) {
        return bridge.queued(destination).stream().map(event -> event.body().path("messageId").asText()).toList();
    }
}
