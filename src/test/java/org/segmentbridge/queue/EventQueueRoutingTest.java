package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.queue.EventQueue.QueuedEvent;
import org.segmentbridge.support.RunningBridge;

/**
 * Events for every destination and events for one destination, published in turn, each reach exactly their queues.
 * (Published over shared sessions, Artemis' reuse of a session's last routing once sent either kind to the other's
 * queues.)
 */
class EventQueueRoutingTest {

    private static RunningBridge bridge;
    private static EventQueue queue;

    @BeforeAll
    static void start() {
        // Nothing reads the queues, so they hold exactly what was published.
        bridge = RunningBridge.start(Map.of("bridge.destinations", "emarsys,segment", "bridge.delivery.enabled", "false"));
        EmbeddedBroker broker = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("eventBroker", EmbeddedBroker.class);
        queue = new EventQueue(broker.connectionFactory(), broker.directConnectionFactory());
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
            toAll.add(publish(null, "all-" + round + "-a"));
            toSegment.add(publish("segment", "segment-" + round + "-a"));
            toSegment.add(publish("segment", "segment-" + round + "-b"));
            toAll.add(publish(null, "all-" + round + "-b"));
        }

        assertThat(messageIds("emarsys")).containsExactlyElementsOf(toAll);
        List<String> both = new ArrayList<>(toAll);
        both.addAll(toSegment);
        assertThat(messageIds("segment")).containsExactlyInAnyOrderElementsOf(both);
    }

    private static String publish(String onlyDestination, String messageId) {
        List<QueuedEvent> events = List.of(new QueuedEvent("track", messageId,
                "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u\",\"messageId\":\"" + messageId + "\"}"));
        if (onlyDestination == null) {
            queue.publish(events, "test");
        } else {
            queue.publishTo(onlyDestination, events, "test");
        }
        return messageId;
    }

    private static List<String> messageIds(String destination) {
        return bridge.queued(destination).stream().map(event -> event.body().path("messageId").asText()).toList();
    }
}
