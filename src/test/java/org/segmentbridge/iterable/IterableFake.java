package org.segmentbridge.iterable;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.segmentbridge.support.RunningBridge;

/**
 * A WireMock Iterable, and a bridge running Iterable routes against it. Every request the fake received can be
 * checked against Iterable's own Swagger description (shared/contracts/iterable-api-swagger.json).
 */
public final class IterableFake implements AutoCloseable {

    static final String API_KEY = "iterable-server-key";
    public static final String WRITE_KEY = "iterable-write-key";
    static final String ADMIN = "iterable-admin";
    static final String OK = "{\"msg\":\"\",\"code\":\"Success\",\"params\":{}}";
    private static final String SWAGGER = "/contracts/iterable-api-swagger.json";
    private static OpenApiInteractionValidator validator;

    public final WireMockServer iterable = new WireMockServer(options().dynamicPort());
    public final RunningBridge bridge;

    /** @param routes the route files' pattern, e.g. {@code file:routes/iterable/*.yaml} */
    public IterableFake(String routes, Map<String, String> moreSettings) {
        iterable.start();
        acceptEverything();
        Map<String, String> settings = new HashMap<>(Map.of(
                "bridge.destinations", "iterable",
                "bridge.write-keys", WRITE_KEY,
                "bridge.admin-token", ADMIN,
                "camel.main.routesIncludePattern", routes,
                "bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", API_KEY,
                "bridge.destination.iterable.batch.flush", "300ms",
                // The tests pin which items share a request: batches go only when full or flushed.
                "bridge.destination.iterable.batch.linger", "300ms",
                "bridge.destination.iterable.retry.initial-delay", "200ms"));
        settings.putAll(moreSettings);
        bridge = RunningBridge.start(settings);
    }

    void acceptEverything() {
        iterable.resetAll();
        iterable.stubFor(any(urlMatching("/api/.*")).atPriority(10).willReturn(okJson(OK)));
        iterable.stubFor(get(urlEqualTo("/api/lists")).willReturn(okJson("{\"lists\":[{\"id\":301,\"name\":\"Newsletter\"}]}")));
        iterable.stubFor(post(urlEqualTo("/api/lists")).willReturn(okJson("{\"listId\":302}").withFixedDelay(300)));
    }

    /** Sends events through the tracking API in one batch, and asserts the intake took them. */
    public void send(String... events) {
        var response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    List<LoggedRequest> requests(String method, String path) {
        return iterable.findAll(anyRequestedFor(urlEqualTo(path))).stream()
                .filter(request -> request.getMethod().getName().equals(method))
                .sorted(java.util.Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    public List<JsonNode> bodies(String path, String containing) {
        return requests("POST", path).stream().map(LoggedRequest::getBodyAsString)
                .filter(body -> body.contains(containing)).map(IterableFake::json).toList();
    }

    /** Iterable's API description's verdict on one request (the validator all contract checks use). */
    static ValidationReport validate(String method, String path, String body) {
        SimpleRequest.Builder built = new SimpleRequest.Builder(Request.Method.valueOf(method), path).withHeader("Api-Key", API_KEY);
        if (body != null) {
            built.withContentType("application/json").withBody(body);
        }
        return validator().validateRequest(built.build());
    }

    /** Every request the fake received carried the API key and is valid for Iterable's API description. */
    public void assertEveryRequestMatchesIterablesApi() {
        List<LoggedRequest> all = iterable.findAll(anyRequestedFor(urlMatching("/api/.*")));
        assertThat(all).isNotEmpty();
        for (LoggedRequest request : all) {
            assertThat(request.getHeader("Api-Key")).isEqualTo(API_KEY);
            String path = request.getUrl().contains("?") ? request.getUrl().substring(0, request.getUrl().indexOf('?')) : request.getUrl();
            SimpleRequest.Builder built = new SimpleRequest.Builder(Request.Method.valueOf(request.getMethod().getName()),
                    java.net.URLDecoder.decode(path, java.nio.charset.StandardCharsets.UTF_8))
                    .withHeader("Api-Key", API_KEY);
            if (request.getBody().length > 0) {
                built.withContentType("application/json").withBody(request.getBodyAsString());
            }
            ValidationReport report = validator().validateRequest(built.build());
            assertThat(report.hasErrors()).as("%s %s against Iterable's API description: %s\n%s", request.getMethod(), path,
                    report.getMessages(), request.getBodyAsString()).isFalse();
        }
    }

    /**
     * Iterable's file repeats some operationIds, which the validator's parser refuses; ids play no part in checking a
     * request, so each operation gets a unique one (method and path) in memory. The file itself is used as it is.
     */
    private static synchronized OpenApiInteractionValidator validator() {
        if (validator == null) {
            try (java.io.InputStream file = IterableFake.class.getResourceAsStream(SWAGGER)) {
                assertThat(file).as("Iterable's API description on the test class path at " + SWAGGER).isNotNull();
                com.fasterxml.jackson.databind.node.ObjectNode spec = (com.fasterxml.jackson.databind.node.ObjectNode)
                        RunningBridge.JSON.readTree(file);
                spec.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
                    if (operation.getValue() instanceof com.fasterxml.jackson.databind.node.ObjectNode op && op.has("operationId")) {
                        op.put("operationId", operation.getKey() + path.getKey());
                    }
                }));
                freeFormObjectsStayFree(spec);
                validator = OpenApiInteractionValidator.createForInlineApiSpecification(spec.toString()).build();
            } catch (java.io.IOException e) {
                throw new AssertionError("cannot read " + SWAGGER, e);
            }
        }
        return validator;
    }

    /**
     * In Swagger 2 a schema {@code {"type":"object"}} without properties (Iterable's dataFields) takes any keys, but the
     * conversion to OpenAPI 3 inside the validator loses that; saying it explicitly keeps the check faithful.
     */
    private static void freeFormObjectsStayFree(JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
            if ("object".equals(object.path("type").asText()) && !object.has("properties") && !object.has("additionalProperties")) {
                object.put("additionalProperties", true);
            }
            object.elements().forEachRemaining(IterableFake::freeFormObjectsStayFree);
        } else if (node.isArray()) {
            node.elements().forEachRemaining(IterableFake::freeFormObjectsStayFree);
        }
    }

    List<JsonNode> deadLetters(String messageId) {
        return bridge.deadLetters("iterable", messageId, ADMIN);
    }

    static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        try {
            bridge.close();
        } finally {
            iterable.stop();
        }
    }
}
