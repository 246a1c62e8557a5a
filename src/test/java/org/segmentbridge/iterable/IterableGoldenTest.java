package org.segmentbridge.iterable;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.atlassian.oai.validator.report.ValidationReport;
import org.segmentbridge.delivery.GoldenActionTest;
import org.segmentbridge.delivery.OutboundRequest;

/**
 * Each Iterable action's exact request and its reading of Iterable's answers: src/test/resources/golden/iterable/.
 * Every request is also checked against Iterable's own API description, as the full-bridge tests check theirs.
 */
class IterableGoldenTest extends GoldenActionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Any id: the description only says a list id is an integer. */
    private static final long LOOKED_UP_LIST_ID = 301;

    IterableGoldenTest() {
        super("iterable", IterableConnector::new);
    }

    @Override
    protected void check(String action, OutboundRequest request) {
        String path = URLDecoder.decode(request.uri().getRawPath(), StandardCharsets.UTF_8);
        String body = request.body().length == 0 ? null : withLookedUpListId(request.bodyText());
        ValidationReport report = IterableFake.validate(request.method(), path, body);
        assertThat(report.hasErrors()).as("%s: %s %s against Iterable's API description: %s\n%s", action, request.method(), path,
                report.getMessages(), body).isFalse();
    }

    /**
     * Built without credentials, a list action shows the name it would look up ({@code "listId":"name:VIP"}); the
     * description is checked with an id in its place, as the action sends once the name is resolved.
     */
    private static String withLookedUpListId(String body) {
        try {
            JsonNode parsed = JSON.readTree(body);
            if (parsed instanceof ObjectNode object && object.path("listId").asText().startsWith("name:")) {
                object.put("listId", LOOKED_UP_LIST_ID);
                return object.toString();
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
