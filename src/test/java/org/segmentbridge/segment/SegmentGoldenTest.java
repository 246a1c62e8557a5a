package org.segmentbridge.segment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.GoldenActionTest;
import org.segmentbridge.delivery.OutboundRequest;

/** The back-flow batch's exact request and its reading of Segment's answers: src/test/resources/golden/segment/. */
class SegmentGoldenTest extends GoldenActionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SENT_AT = "(the time of sending)";

    SegmentGoldenTest() {
        super("segment", SegmentConnector::new);
    }

    /** sentAt is the clock's when the request is built: checked to be that, then shown as a fixed text. */
    @Override
    protected OutboundRequest steady(OutboundRequest request) {
        try {
            ObjectNode body = (ObjectNode) JSON.readTree(request.body());
            Instant sentAt = Instant.parse(body.path("sentAt").asText());
            assertThat(Duration.between(sentAt, Instant.now()).abs()).as("sentAt is the time of sending").isLessThan(Duration.ofMinutes(1));
            body.put("sentAt", SENT_AT);
            return new OutboundRequest(request.method(), request.uri(), request.headers(), JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
