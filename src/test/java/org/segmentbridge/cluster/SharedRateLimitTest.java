package org.segmentbridge.cluster;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.KafkaBroker;
import org.segmentbridge.support.PostgresServer;

/**
 * Three bridges spend one Iterable API key: the limit set for it holds for the three together, as the vendor counts
 * it, in any one-second window, and the vendor never has to refuse a request.
 */
class SharedRateLimitTest {

    private static final int LIMIT_PER_SECOND = 20;
    private static final int EVENTS = 300;

    @Test
    void threeBridgesTogetherStayUnderTheCredentialsLimit() throws Exception {
        RateLimitedVendor limit = new RateLimitedVendor(LIMIT_PER_SECOND);
        WireMockServer iterable = new WireMockServer(options().dynamicPort().containerThreads(40).extensions(limit));
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).willReturn(okJson("{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}")));
        try (Cluster cluster = new Cluster(KafkaBroker.shared(), PostgresServer.shared(), 3, iterable.baseUrl(),
                "file:routes/iterable/custom-events.yaml",
                "-Dbridge.destination.iterable.rate.requests=" + LIMIT_PER_SECOND, "-Dbridge.destination.iterable.rate.period=1s")) {
            // Every bridge gets a third of the events, all at once: each alone would go far faster than the limit.
            List<String> batches = new ArrayList<>();
            for (int from = 0; from < EVENTS; from += 50) {
                int first = from;
                batches.add(java.util.stream.IntStream.range(first, first + 50).mapToObj(index -> """
                        {"type":"track","userId":"rate-%d","event":"Rated","messageId":"rate-%d-%s","context":{"traits":{"email":"rate-%d@example.com"}}}"""
                        .formatted(index % 60, index, UUID.randomUUID(), index % 60)).collect(Collectors.joining(",", "{\"batch\":[", "]}")));
            }
            for (int batch = 0; batch < batches.size(); batch++) {
                assertThat(cluster.batch(batch % cluster.size(), batches.get(batch)).orElseThrow().statusCode()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> iterable.countRequestsMatching(
                    postRequestedFor(urlEqualTo("/api/events/track")).build()).getCount() >= EVENTS);
            System.out.printf("shared rate limit: %d requests, busiest second %d (limit %d), %d refused%n",
                    limit.arrivals(), limit.busiestSecond(), LIMIT_PER_SECOND, limit.refused());
            assertThat(limit.refused()).as("requests Iterable answered 429").isZero();
            assertThat(limit.busiestSecond()).as("requests within one second, all bridges together").isLessThanOrEqualTo(LIMIT_PER_SECOND);
            // The limit is what paced them: 300 requests at 20 a second take at least 14 s, not the fraction of one
            // second three bridges would need unpaced.
            assertThat(limit.arrivals()).isGreaterThanOrEqualTo(EVENTS);
        } finally {
            iterable.stop();
        }
    }
}
