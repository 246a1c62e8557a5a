package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/**
 * A YAML route file in a nested routes folder, written the way the README teaches, consumes one destination's
 * subscription: it receives every accepted event, and what it consumes is gone from that subscription only.
 */
class RouteFileSubscriptionTest {

    @Test
    void yamlRouteInANestedFolderConsumesItsDestinationSubscription() throws Exception {
        Path routes = TestFolders.create("bridge-routes-");
        Files.createDirectories(routes.resolve("segment"));
        Files.writeString(routes.resolve("segment").resolve("forward-tracks.yaml"), """
                - route:
                    id: segment-forward-tracks
                    from:
                      uri: events:segment
                      steps:
                        - filter:
                            simple: "${header.eventType} == 'track'"
                            steps:
                              - to: mock:segment-tracks
                """);
        String messageId = UUID.randomUUID().toString();

        try (RunningBridge bridge = RunningBridge.start(Map.of(
                "bridge.write-keys", "k",
                "camel.main.routesIncludePattern", "file:" + routes.toAbsolutePath() + "/**/*.yaml"))) {
            MockEndpoint tracks = bridge.main().getCamelContext().getEndpoint("mock:segment-tracks", MockEndpoint.class);
            tracks.expectedMessageCount(1);

            assertThat(bridge.postTracking("/v1/identify", "k", "{\"userId\":\"r-1\"}").statusCode()).isEqualTo(200);
            assertThat(bridge.postTracking("/v1/track", "k",
                    "{\"userId\":\"r-1\",\"event\":\"Routed\",\"messageId\":\"" + messageId + "\"}").statusCode()).isEqualTo(200);

            tracks.assertIsSatisfied(10_000);
            String body = tracks.getExchanges().get(0).getMessage().getBody(String.class);
            assertThat(RunningBridge.JSON.readTree(body).path("messageId").asText()).isEqualTo(messageId);
            long deadline = System.currentTimeMillis() + 10_000;
            while (!bridge.queued("segment").isEmpty() && System.currentTimeMillis() < deadline) {
                RunningBridge.sleep(50);
            }
            assertThat(bridge.queued("segment")).as("the route consumed its subscription").isEmpty();
            assertThat(bridge.queued("emarsys")).as("other destinations keep their copies").hasSize(2);
        }
    }
}
