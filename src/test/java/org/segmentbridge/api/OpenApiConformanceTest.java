package org.segmentbridge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.parser.OpenAPIV3Parser;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.segmentbridge.console.ConsoleRoutes;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.Signed;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestHttp;

/**
 * The description {@code GET /openapi.json} serves is what the running bridge does. Every endpoint is driven into
 * each status the description declares that a test can reach, and each exchange is checked against the served
 * description by swagger-request-validator: the status, the content type, the declared headers and the JSON body
 * of the answer, and the request too when it is meant to be a valid one (a request that breaks the description on
 * purpose, to be refused, has only its answer checked). Every HTTP route of the Camel context must have a path in
 * the description, and every operation of the description must have been exercised here.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiConformanceTest {

    private static final String WRITE_KEY = "conformance-write-key";
    private static final String SEGMENT_SECRET = "conformance-segment-secret";
    private static final String ADMIN_TOKEN = "conformance-admin-token";
    private static final String SAILTHRU_KEY = "conformance-sailthru-key";
    private static final String SAILTHRU_SECRET = "conformance-sailthru-secret";
    private static final String ITERABLE_TOKEN = "conformance-iterable-token";
    private static final String ALLOWED_ORIGIN = "https://shop.example.com";
    /** The memory budget for bodies in flight: one held request of exactly this size fills it. */
    private static final int BUDGET = 100_000;
    private static final int BODY_TIMEOUT_SECONDS = 5;
    private static final int MAX_WEBHOOK_BYTES = 200_000;
    private static final int MAX_BATCH_EVENTS = 50;
    private static final int MAX_EVENT_BYTES = 32_768;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient HTTP = TestHttp.client(Duration.ofSeconds(5));

    /** Routes for the dead letters and dry-run records the admin endpoints list: a delivered track and a failing one. */
    private static final String ROUTES = """
            - route:
                id: conformance-delivered
                from:
                  uri: events:iterable
                  steps:
                    - filter:
                        simple: "${header.eventName} == 'Delivered'"
                        steps:
                          - to: deliver:iterable:event
            - route:
                id: conformance-fails
                from:
                  uri: events:iterable
                  steps:
                    - filter:
                        simple: "${header.eventName} == 'Explode'"
                        steps:
                          - throwException:
                              exceptionType: java.lang.IllegalStateException
                              message: "no use case for ${header.eventName}"
            """;

    private static RunningBridge bridge;
    private static String served;
    private static ApiDescription description;
    /** The operations exchanges reached, e.g. {@code POST /v1/track}. */
    private static final Set<String> EXERCISED = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void startBridge() throws IOException {
        Path routes = TestFolders.create("bridge-conformance-routes-");
        Files.writeString(routes.resolve("conformance.yaml"), ROUTES);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("bridge.write-keys", WRITE_KEY);
        settings.put("bridge.webhook.segment-secret", SEGMENT_SECRET);
        settings.put("bridge.admin-token", ADMIN_TOKEN);
        settings.put("bridge.destination.sailthru.api-key", SAILTHRU_KEY);
        settings.put("bridge.destination.sailthru.api-secret", SAILTHRU_SECRET);
        // Those credentials verify the postbacks; Sailthru has no route here, and its API is a port where nothing listens.
        settings.put("bridge.destination.sailthru.base-url", "http://127.0.0.1:" + RunningBridge.freePort());
        settings.put("bridge.iterable.webhook-token", ITERABLE_TOKEN);
        settings.put("bridge.intake.cors-allowed-origins", ALLOWED_ORIGIN);
        settings.put("bridge.intake.max-in-flight-bytes", Integer.toString(BUDGET));
        settings.put("bridge.intake.body-timeout", BODY_TIMEOUT_SECONDS + "s");
        settings.put("bridge.intake.max-batch-bytes", Integer.toString(2 * BUDGET));
        settings.put("bridge.intake.max-batch-events", Integer.toString(MAX_BATCH_EVENTS));
        settings.put("bridge.intake.max-event-bytes", Integer.toString(MAX_EVENT_BYTES));
        settings.put("bridge.webhook.max-body-bytes", Integer.toString(MAX_WEBHOOK_BYTES));
        settings.put("camel.main.routesIncludePattern", "file:" + routes.toAbsolutePath() + "/*.yaml");
        bridge = RunningBridge.start(settings);
        HttpResponse<String> document = bridge.get(ApiDescriptionRoutes.PATH);
        assertThat(document.statusCode()).isEqualTo(200);
        served = document.body();
        description = ApiDescription.of(served);
    }

    @AfterAll
    static void stopBridge() {
        if (bridge != null) {
            bridge.close();
        }
    }

    // ---- The description itself ---------------------------------------------------------------------------------

    @Test
    void theDescriptionIsServedAsPackagedAndIsValidOpenApi3() {
        Exchange answer = Exchange.get("/openapi.json").send();

        assertThat(answer.status).isEqualTo(200);
        assertThat(answer.header("Content-Type")).isEqualTo("application/json");
        assertThat(answer.body).isEqualTo(ApiDescriptionRoutes.load());
        assertThat(new OpenAPIV3Parser().readContents(served, null, null).getMessages())
                .as("what the OpenAPI parser finds wrong with the description").isEmpty();
        assertThat(Exchange.get("/openapi.json?X-Signature=00").breaksDescription().send().status)
                .as("a credential in the URL is refused here too").isEqualTo(400);
    }

    @Test
    void everyHttpRouteOfTheBridgeIsDescribed() {
        List<String> routes = new ArrayList<>();
        List<String> undescribed = new ArrayList<>();
        bridge.main().getCamelContext().getRoutes().forEach(route -> {
            if (route.getEndpoint() instanceof PlatformHttpEndpoint http) {
                // A route without a restriction answers every method.
                String methods = http.getHttpMethodRestrict() == null ? "GET,POST,PUT,DELETE,PATCH" : http.getHttpMethodRestrict();
                for (String method : methods.split(",")) {
                    routes.add(method + " " + http.getPath());
                    if (!description.describesRoute(method.trim(), http.getPath())) {
                        undescribed.add(method + " " + http.getPath() + " (route " + route.getRouteId() + ")");
                    }
                }
            }
        });

        assertThat(routes).as("the bridge's HTTP routes").contains("POST /v1/{call}", "POST /webhooks/segment",
                "GET /admin/dead-letters", "DELETE /admin/dead-letters/{id}", "GET /admin/people", "GET /console/{asset}",
                "GET /openapi.json");
        assertThat(undescribed).as("HTTP routes without a path in openapi.json: describe them").isEmpty();
        assertThat(description.describesRoute("GET", "/admin/not-described")).as("the check can fail").isFalse();
        assertThat(description.describesRoute("PUT", "/admin/dead-letters")).as("a method not described").isFalse();
    }

    @Test
    void answersOfAWrongShapeAreReported() {
        Request track = SimpleRequest.Builder.post("/v1/track").withContentType("application/json")
                .withAuthorization(RunningBridge.basic(WRITE_KEY)).withBody("{\"userId\":\"u\",\"event\":\"E\"}").build();

        assertThat(errorKeys(description.validate(track, json(200, "{\"success\":true}")))).isEmpty();
        assertThat(errorKeys(description.validate(track, json(200, "{\"success\":false}"))))
                .contains("validation.response.body.schema.enum");
        assertThat(errorKeys(description.validate(track, json(200, "{\"success\":true,\"queued\":1}"))))
                .contains("validation.response.body.schema.additionalProperties");
        assertThat(errorKeys(description.validate(track, json(400, "{\"success\":false}"))))
                .as("no error").contains("validation.response.body.schema.required");
        assertThat(errorKeys(description.validate(track, json(503, "{\"success\":false,\"error\":\"full\"}"))))
                .as("no Retry-After").contains("validation.response.header.missing");
        assertThat(errorKeys(description.validate(track, json(500, "{\"success\":false,\"error\":\"oops\"}"))))
                .contains("validation.response.status.unknown");
        assertThat(errorKeys(description.validate(track, SimpleResponse.Builder.ok().withContentType("text/plain")
                .withBody("ok").build()))).contains("validation.response.contentType.notAllowed");
        assertThat(errorKeys(description.validateResponse("/admin/dead-letters", Request.Method.GET,
                json(200, "{\"deadLetters\":[]}")))).contains("validation.response.body.schema.required");
        assertThat(errorKeys(description.validateRequest(SimpleRequest.Builder.post("/v1/track").withContentType("application/json")
                .withAuthorization(RunningBridge.basic(WRITE_KEY)).withBody("{\"userId\":\"u\"}").build())))
                .as("a track without its event").isNotEmpty();
        assertThat(errorKeys(description.validateResponse("/admin/destinations", Request.Method.GET, json(200,
                "{\"at\":\"2026-12-01T10:00:00Z\",\"windowSeconds\":60,\"destinations\":[{\"destination\":\"iterable\",\"mode\":\"paused\","
                        + "\"why\":null,\"queueDepth\":0,\"deadLetters\":0,\"lastMinute\":{\"delivered\":0,\"retried\":0,\"deadLettered\":0,"
                        + "\"rateLimited\":0},\"sinceStart\":{\"delivered\":0,\"retried\":0,\"deadLettered\":0,\"rateLimited\":0},"
                        + "\"pausedUntil\":null,\"endpointPauses\":{}}]}")))).contains("validation.response.body.schema.enum");

        assertThat(errorKeys(description.validateResponse("/console", Request.Method.GET, consolePage("text/html; charset=utf-8")
                .build()))).as("the console page as served").isEmpty();
        assertThat(errorKeys(description.validateResponse("/console", Request.Method.GET, consolePage("text/html; charset=utf-8")
                .withHeader("Content-Security-Policy", "default-src *").build()))).contains("validation.response.header.schema.enum");
        assertThat(errorKeys(description.validateResponse("/console", Request.Method.GET, SimpleResponse.Builder.ok()
                .withContentType("text/html").withBody("<p>").build()))).contains("validation.response.header.missing");
        assertThat(errorKeys(description.validateResponse("/console/console.js", Request.Method.GET, consolePage("text/css").build())))
                .contains("validation.response.contentType.notAllowed");
    }

    // ---- Tracking API -------------------------------------------------------------------------------------------

    static Stream<Arguments> trackingCalls() {
        Map<String, String> calls = new LinkedHashMap<>();
        for (String call : List.of("identify", "track", "page", "screen", "group", "alias", "batch", "import")) {
            calls.put(call, call);
        }
        Map.of("i", "identify", "t", "track", "p", "page", "s", "screen", "g", "group", "a", "alias", "b", "batch")
                .forEach(calls::put);
        return calls.entrySet().stream().map(call -> Arguments.of("/v1/" + call.getKey(), call.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trackingCalls")
    void trackingApiAnswersAsDescribed(String path, String call) {
        Exchange stored = Exchange.post(path, event(call)).writeKey(WRITE_KEY).send();
        assertThat(stored.status).as(stored.body).isEqualTo(200);
        assertThat(stored.json().path("success").asBoolean()).isTrue();

        Exchange preflight = Exchange.options(path).header("Origin", ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST").send();
        assertThat(preflight.status).isEqualTo(204);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);

        Exchange otherOrigin = Exchange.post(path, event(call)).writeKey(WRITE_KEY).header("Origin", "https://elsewhere.example").send();
        assertThat(otherOrigin.status).isEqualTo(403);
        assertThat(otherOrigin.json().path("error").asText()).contains("BRIDGE_CORS_ALLOWED_ORIGINS");
        assertThat(Exchange.options(path).header("Origin", "https://elsewhere.example")
                .header("Access-Control-Request-Method", "POST").send().status).isEqualTo(403);

        Exchange invalid = Exchange.post(path, invalidEvent(call)).writeKey(WRITE_KEY).breaksDescription().send();
        assertThat(invalid.status).as(invalid.body).isEqualTo(400);
        assertThat(invalid.json().path("field").asText()).isEqualTo(invalidField(call));

        Exchange wrongKey = Exchange.post(path, event(call)).writeKey("not-a-write-key").send();
        assertThat(wrongKey.status).isEqualTo(401);

        Exchange tooLarge = Exchange.post(path, tooLarge(call)).writeKey(WRITE_KEY).send();
        assertThat(tooLarge.status).as(tooLarge.body).isEqualTo(413);

        Exchange form = Exchange.post(path, "userId=u").writeKey(WRITE_KEY)
                .contentType("application/x-www-form-urlencoded").breaksDescription().send();
        assertThat(form.status).isEqualTo(415);
    }

    @Test
    void trackingApiTakesAnalyticsJsTextPlainWithTheKeyInTheBodyAndGzipBodies() {
        String body = "{\"writeKey\":\"" + WRITE_KEY + "\",\"anonymousId\":\"a-1\",\"event\":\"Clicked\",\"messageId\":\"" + id() + "\"}";
        assertThat(Exchange.post("/v1/t", body).contentType("text/plain").send().status).isEqualTo(200);

        assertThat(Exchange.post("/v1/track", event("track")).writeKey(WRITE_KEY).gzip().send().status).isEqualTo(200);
        Exchange encoding = Exchange.post("/v1/track", event("track")).writeKey(WRITE_KEY)
                .header("Content-Encoding", "br").breaksDescription().send();
        assertThat(encoding.status).isEqualTo(415);

        Exchange inBatch = Exchange.post("/v1/batch", "{\"batch\":[{\"type\":\"identify\",\"userId\":\"u\"},{\"type\":\"track\",\"userId\":\"u\"}]}")
                .writeKey(WRITE_KEY).breaksDescription().send();
        assertThat(inBatch.status).isEqualTo(400);
        assertThat(inBatch.json().path("field").asText()).isEqualTo("batch[1].event");
        assertThat(inBatch.json().path("index").asInt()).isEqualTo(1);

        Exchange noKey = Exchange.post("/v1/track", event("track")).send();
        assertThat(noKey.status).isEqualTo(401);
    }

    // ---- Webhooks -----------------------------------------------------------------------------------------------

    @Test
    void segmentWebhookAnswersAsDescribed() {
        String one = webhookEvent();
        assertThat(Exchange.post("/webhooks/segment", one).header("X-Signature", Signed.segmentSignature(one, SEGMENT_SECRET))
                .send().status).isEqualTo(200);
        String first = webhookEvent();
        assertThat(Exchange.post("/webhooks/segment", "[" + first + "," + webhookEvent() + "]")
                .header("X-Signature", Signed.segmentSignature(first, SEGMENT_SECRET)).send().status).isEqualTo(200);

        String invalid = "{\"type\":\"track\",\"event\":\"E\",\"messageId\":\"" + id() + "\"}";
        Exchange refused = Exchange.post("/webhooks/segment", invalid).header("X-Signature", Signed.segmentSignature(invalid, SEGMENT_SECRET))
                .breaksDescription().send();
        assertThat(refused.status).isEqualTo(400);
        assertThat(refused.json().path("field").asText()).isEqualTo("userId");

        assertThat(Exchange.post("/webhooks/segment", one).header("X-Signature", "00").send().status).isEqualTo(401);
        assertThat(Exchange.post("/webhooks/segment", padded(MAX_WEBHOOK_BYTES + 1))
                .header("X-Signature", "00").breaksDescription().send().status).isEqualTo(413);
        assertThat(Exchange.post("/webhooks/segment", "type=track&userId=u").header("X-Signature", "00")
                .contentType("application/x-www-form-urlencoded").breaksDescription().send().status).isEqualTo(415);
    }

    @Test
    void sailthruPostbackAnswersAsDescribed() {
        Map<String, String> optout = Map.of("action", "optout", "email", "optout-" + id() + "@example.com", "optout", "1");
        assertThat(Exchange.post("/webhooks/sailthru", Signed.sailthruPostback(optout, SAILTHRU_KEY, SAILTHRU_SECRET))
                .contentType("application/x-www-form-urlencoded").send().status).isEqualTo(200);

        Exchange noEmail = Exchange.post("/webhooks/sailthru", Signed.sailthruPostback(Map.of("action", "optout"), SAILTHRU_KEY, SAILTHRU_SECRET))
                .contentType("application/x-www-form-urlencoded").breaksDescription().send();
        assertThat(noEmail.status).isEqualTo(400);
        assertThat(noEmail.json().path("field").asText()).isEqualTo("email");

        Exchange wrongSignature = Exchange.post("/webhooks/sailthru", Signed.sailthruPostback(optout, SAILTHRU_KEY, "not-the-secret"))
                .contentType("application/x-www-form-urlencoded").send();
        assertThat(wrongSignature.status).isEqualTo(403);
        assertThat(wrongSignature.json().path("field").asText()).isEqualTo("sig");

        assertThat(Exchange.post("/webhooks/sailthru", "email=x&pad=" + "x".repeat(MAX_WEBHOOK_BYTES))
                .contentType("application/x-www-form-urlencoded").breaksDescription().send().status).isEqualTo(413);
        assertThat(Exchange.post("/webhooks/sailthru", "{\"action\":\"optout\"}").breaksDescription().send().status).isEqualTo(415);
    }

    @Test
    void iterableWebhookAnswersAsDescribed() {
        assertThat(Exchange.post("/webhooks/iterable", iterableWebhook()).header("Authorization", "Bearer " + ITERABLE_TOKEN)
                .send().status).isEqualTo(200);
        assertThat(Exchange.post("/webhooks/iterable", iterableWebhook())
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("iterable:" + ITERABLE_TOKEN)
                        .getBytes(StandardCharsets.UTF_8))).send().status).isEqualTo(200);

        Exchange noEmail = Exchange.post("/webhooks/iterable", "{\"eventName\":\"emailOpen\",\"dataFields\":{}}")
                .header("Authorization", "Bearer " + ITERABLE_TOKEN).breaksDescription().send();
        assertThat(noEmail.status).isEqualTo(400);
        assertThat(noEmail.json().path("field").asText()).isEqualTo("email");

        assertThat(Exchange.post("/webhooks/iterable", iterableWebhook()).header("Authorization", "Bearer wrong").send().status)
                .isEqualTo(401);
        assertThat(Exchange.post("/webhooks/iterable", padded(MAX_WEBHOOK_BYTES + 1)).header("Authorization", "Bearer wrong")
                .breaksDescription().send().status).isEqualTo(413);
        assertThat(Exchange.post("/webhooks/iterable", iterableWebhook()).header("Authorization", "Bearer " + ITERABLE_TOKEN)
                .contentType("text/plain").breaksDescription().send().status).isEqualTo(415);
    }

    // ---- Overload: 503 and 408 ----------------------------------------------------------------------------------

    @Test
    void requestsPastTheMemoryBudgetAre503WithRetryAfterOnEveryIntakeEndpoint() throws IOException {
        byte[] held = batchOfExactly(BUDGET).getBytes(StandardCharsets.UTF_8);
        try (Socket slow = new Socket("localhost", port(bridge.baseUrl()))) {
            slow.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            out.write(requestHead("/v1/batch", held.length).getBytes(StandardCharsets.US_ASCII));
            out.write(held, 0, 1_000);
            out.flush();
            await().atMost(WAIT).until(() -> bridge.metric("bridge_intake_in_flight_bytes") == BUDGET);

            String one = webhookEvent();
            List<Exchange> refused = List.of(
                    Exchange.post("/v1/track", event("track")).writeKey(WRITE_KEY).send(),
                    Exchange.post("/webhooks/segment", one).header("X-Signature", Signed.segmentSignature(one, SEGMENT_SECRET)).send(),
                    Exchange.post("/webhooks/sailthru", Signed.sailthruPostback(Map.of("action", "verify", "email", "v@example.com"),
                            SAILTHRU_KEY, SAILTHRU_SECRET)).contentType("application/x-www-form-urlencoded").send(),
                    Exchange.post("/webhooks/iterable", iterableWebhook()).header("Authorization", "Bearer " + ITERABLE_TOKEN).send());

            out.write(held, 1_000, held.length - 1_000);
            out.flush();
            Exchange heldAnswer = Exchange.read("POST", "/v1/batch", slow.getInputStream());
            assertThat(heldAnswer.status).as(heldAnswer.body).isEqualTo(200);
            for (Exchange answer : refused) {
                assertThat(answer.status).as(answer.path).isEqualTo(503);
                assertThat(answer.header("Retry-After")).isEqualTo("1");
                assertThat(answer.json().path("error").asText()).contains("bridge.intake.max-in-flight-bytes");
            }
        }
    }

    @Test
    void bodiesThatDoNotArriveInTimeAre408OnEveryIntakeEndpoint() {
        List<CompletableFuture<Exchange>> answers = Stream.of("/v1/track", "/webhooks/segment", "/webhooks/sailthru", "/webhooks/iterable")
                .map(path -> CompletableFuture.supplyAsync(() -> {
                    try (Socket slow = new Socket("localhost", port(bridge.baseUrl()))) {
                        slow.setSoTimeout((BODY_TIMEOUT_SECONDS + 10) * 1000);
                        slow.getOutputStream().write((requestHead(path, 100) + "{\"userId\":").getBytes(StandardCharsets.US_ASCII));
                        slow.getOutputStream().flush();
                        return Exchange.read("POST", path, slow.getInputStream());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })).toList();

        for (CompletableFuture<Exchange> answer : answers) {
            Exchange timedOut = answer.join();
            assertThat(timedOut.status).as(timedOut.path).isEqualTo(408);
            assertThat(timedOut.json().path("error").asText()).contains("bridge.intake.body-timeout");
        }
    }

    // ---- Admin --------------------------------------------------------------------------------------------------

    @Test
    void deadLetterEndpointsAnswerAsDescribed() {
        List<String> letters = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String messageId = id();
            assertThat(Exchange.post("/v1/track", "{\"userId\":\"u-explode\",\"event\":\"Explode\",\"messageId\":\"" + messageId + "\"}")
                    .writeKey(WRITE_KEY).send().status).isEqualTo(200);
            letters.add(await().atMost(WAIT).until(() -> deadLetterId(messageId), id -> id != null));
        }
        Exchange list = Exchange.get("/admin/dead-letters?destination=iterable&limit=10").admin().send();
        assertThat(list.status).isEqualTo(200);
        assertThat(list.json().path("count").asInt()).isGreaterThanOrEqualTo(2);

        Exchange read = Exchange.get("/admin/dead-letters/" + letters.get(0)).admin().send();
        assertThat(read.status).as(read.body).isEqualTo(200);
        assertThat(read.json().path("id").asText()).isEqualTo(letters.get(0));
        assertThat(read.json().path("action").asText()).isEqualTo("route:conformance-fails");
        assertThat(Exchange.get("/admin/dead-letters/no-such-letter").admin().send().status).isEqualTo(404);
        assertThat(Exchange.get("/admin/dead-letters/" + letters.get(0)).breaksDescription().send().status).isEqualTo(401);
        Exchange filtered = Exchange.get("/admin/dead-letters?destination=iterable&action=route:conformance-fails&reason=NO%20USE%20CASE")
                .admin().send();
        assertThat(filtered.status).isEqualTo(200);
        assertThat(filtered.json().path("deadLetters")).extracting(letter -> letter.path("id").asText()).contains(letters.get(0), letters.get(1));
        assertThat(Exchange.get("/admin/dead-letters?reason=not-a-reason-" + id()).admin().send().json().path("count").asInt()).isZero();
        assertThat(Exchange.get("/admin/dead-letters?limit=0").admin().breaksDescription().send().status).isEqualTo(400);
        assertThat(Exchange.get("/admin/dead-letters").breaksDescription().send().status).isEqualTo(401);
        Exchange wrongToken = Exchange.get("/admin/dead-letters").header("Authorization", "Bearer wrong").send();
        assertThat(wrongToken.status).isEqualTo(401);
        assertThat(wrongToken.json().path("error").asText()).isEqualTo("invalid admin token");

        Exchange replayed = Exchange.post("/admin/dead-letters/" + letters.get(0) + "/replay", null).admin().send();
        assertThat(replayed.status).as(replayed.body).isEqualTo(200);
        assertThat(replayed.json().path("id").asText()).isEqualTo(letters.get(0));
        assertThat(Exchange.post("/admin/dead-letters/no-such-letter/replay", null).admin().send().status).isEqualTo(404);
        assertThat(Exchange.post("/admin/dead-letters/no-such-letter/replay", null).breaksDescription().send().status).isEqualTo(401);

        Exchange discarded = Exchange.delete("/admin/dead-letters/" + letters.get(1)).admin().send();
        assertThat(discarded.status).isEqualTo(200);
        assertThat(discarded.json().path("discarded").asInt()).isEqualTo(1);
        assertThat(Exchange.delete("/admin/dead-letters/" + letters.get(1)).admin().send().status).isEqualTo(404);
        assertThat(Exchange.delete("/admin/dead-letters/no-such-letter").breaksDescription().send().status).isEqualTo(401);

        assertThat(Exchange.post("/admin/dead-letters/replay?reason=not-a-reason-" + id(), null).admin().send()
                .json().path("replayed").asInt()).as("a filter that selects nothing replays nothing").isZero();
        Exchange all = Exchange.post("/admin/dead-letters/replay?destination=iterable&action=route:conformance-fails", null).admin().send();
        assertThat(all.status).isEqualTo(200);
        assertThat(Exchange.post("/admin/dead-letters/replay", null).breaksDescription().send().status).isEqualTo(401);
        assertThat(Exchange.get("/admin/dead-letters?authorization=Bearer%20" + ADMIN_TOKEN).breaksDescription().send().status)
                .as("a credential in the URL").isEqualTo(400);
    }

    @Test
    void dryRunEndpointAnswersAsDescribed() {
        assertThat(Exchange.post("/v1/track", "{\"userId\":\"u-dry\",\"event\":\"Delivered\",\"messageId\":\"" + id()
                + "\",\"context\":{\"traits\":{\"email\":\"dry@example.com\"}}}").writeKey(WRITE_KEY).send().status).isEqualTo(200);
        await().atMost(WAIT).until(() -> Exchange.get("/admin/dry-run?destination=iterable&limit=5").admin().send()
                .json().path("count").asInt() > 0);

        Exchange list = Exchange.get("/admin/dry-run").admin().send();
        assertThat(list.status).isEqualTo(200);
        assertThat(list.json().path("requests").get(0).path("destination").asText()).isEqualTo("iterable");
        assertThat(Exchange.get("/admin/dry-run?limit=many").admin().breaksDescription().send().status).isEqualTo(400);
        assertThat(Exchange.get("/admin/dry-run").breaksDescription().send().status).isEqualTo(401);
    }

    @Test
    void peopleEndpointAnswersAsDescribed() {
        String email = "person-" + id() + "@example.com";
        String userId = "u-" + id();
        assertThat(Exchange.post("/v1/identify", "{\"userId\":\"" + userId + "\",\"traits\":{\"email\":\"" + email + "\"},\"messageId\":\""
                + id() + "\"}").writeKey(WRITE_KEY).send().status).isEqualTo(200);
        await().atMost(WAIT).until(() -> Exchange.get("/admin/people?email=" + email).admin().send().status == 200);

        Exchange byEmail = Exchange.get("/admin/people?email=" + email).admin().send();
        assertThat(byEmail.json().path("emails")).extracting(JsonNode::asText).containsExactly(email);
        assertThat(byEmail.json().path("userIds")).extracting(JsonNode::asText).containsExactly(userId);
        Exchange byUserId = Exchange.get("/admin/people?userId=" + userId).admin().send();
        assertThat(byUserId.status).isEqualTo(200);
        assertThat(byUserId.json().path("personIds")).isEqualTo(byEmail.json().path("personIds"));

        assertThat(Exchange.get("/admin/people?email=nobody-" + id() + "@example.com").admin().send().status).isEqualTo(404);
        assertThat(Exchange.get("/admin/people").admin().send().status).as("neither").isEqualTo(400);
        assertThat(Exchange.get("/admin/people?email=" + email + "&userId=" + userId).admin().send().status).as("both").isEqualTo(400);
        assertThat(Exchange.get("/admin/people?userId=" + "u".repeat(501)).admin().breaksDescription().send().status)
                .as("too long").isEqualTo(400);
        assertThat(Exchange.get("/admin/people?email=" + email).breaksDescription().send().status).isEqualTo(401);
    }

    @Test
    void bridgeStatusEndpointsAnswerAsDescribed() {
        Exchange destinations = Exchange.get("/admin/destinations").admin().send();
        assertThat(destinations.status).isEqualTo(200);
        assertThat(destinations.json().path("destinations")).extracting(destination -> destination.path("destination").asText())
                .contains("iterable");
        assertThat(Exchange.get("/admin/destinations").breaksDescription().send().status).isEqualTo(401);

        Exchange routes = Exchange.get("/admin/routes").admin().send();
        assertThat(routes.status).isEqualTo(200);
        assertThat(routes.json().path("routes")).extracting(route -> route.path("id").asText())
                .containsExactly("conformance-delivered", "conformance-fails");
        assertThat(Exchange.get("/admin/routes").breaksDescription().send().status).isEqualTo(401);

        Exchange settings = Exchange.get("/admin/settings").admin().send();
        assertThat(settings.status).isEqualTo(200);
        assertThat(settings.body).doesNotContain(ADMIN_TOKEN).doesNotContain(WRITE_KEY).doesNotContain(SAILTHRU_SECRET);
        assertThat(settings.json().path("settings")).filteredOn(setting -> setting.path("key").asText().equals("bridge.admin-token"))
                .singleElement().satisfies(setting -> assertThat(setting.path("value").asText()).isEqualTo("***"));
        assertThat(Exchange.get("/admin/settings").header("Authorization", "Bearer wrong").send().status).isEqualTo(401);
    }

    // ---- Console ------------------------------------------------------------------------------------------------

    @Test
    void consoleAnswersAsDescribed() {
        Exchange page = Exchange.get("/console").send();
        assertThat(page.status).isEqualTo(200);
        assertThat(page.body).contains("<script src=\"/console/console.js\" defer></script>");
        assertThat(Exchange.get("/console/console.js").send().status).isEqualTo(200);
        assertThat(Exchange.get("/console/console.css").send().status).isEqualTo(200);
        assertThat(Exchange.get("/console/application.properties").send().status).isEqualTo(404);
        assertThat(Exchange.get("/console?authorization=Bearer%20" + ADMIN_TOKEN).breaksDescription().send().status)
                .as("a credential in the URL").isEqualTo(400);
    }

    @Test
    void privacyEndpointsAnswerAsDescribed() {
        Exchange erasure = Exchange.post("/admin/privacy/delete", "{\"email\":\"erase-" + id() + "@example.com\"}").admin().send();
        assertThat(erasure.status).as(erasure.body).isEqualTo(202);
        String request = erasure.json().path("request").asText();
        assertThat(Exchange.post("/admin/privacy/delete", "{}").admin().breaksDescription().send().status).isEqualTo(400);
        assertThat(Exchange.post("/admin/privacy/delete", "{\"userId\":\"u\"}").breaksDescription().send().status).isEqualTo(401);

        await().atMost(WAIT).until(() -> Exchange.get("/admin/privacy/audit?request=" + request).admin().send()
                .json().path("count").asInt() > 0);
        assertThat(Exchange.get("/admin/privacy/audit?limit=0").admin().breaksDescription().send().status).isEqualTo(400);
        assertThat(Exchange.get("/admin/privacy/audit").breaksDescription().send().status).isEqualTo(401);

        String email = "consent-" + id() + "@example.com";
        Exchange change = Exchange.post("/admin/privacy/consent", "{\"email\":\"" + email + "\",\"state\":\"unsubscribed\"}").admin().send();
        assertThat(change.status).as(change.body).isEqualTo(202);
        assertThat(change.json().path("state").asText()).isEqualTo("unsubscribed");
        assertThat(Exchange.post("/admin/privacy/consent", "{\"email\":\"" + email + "\",\"state\":\"maybe\"}").admin()
                .breaksDescription().send().status).isEqualTo(400);
        assertThat(Exchange.post("/admin/privacy/consent", "{}").breaksDescription().send().status).isEqualTo(401);

        await().atMost(WAIT).until(() -> Exchange.get("/admin/privacy/consent?email=" + email).admin().send().status == 200);
        Exchange consent = Exchange.get("/admin/privacy/consent?email=" + email).admin().send();
        assertThat(consent.json().path("state").asText()).isEqualTo("unsubscribed");
        assertThat(Exchange.get("/admin/privacy/consent?email=nobody-" + id() + "@example.com").admin().send().status).isEqualTo(404);
        assertThat(Exchange.get("/admin/privacy/consent").admin().breaksDescription().send().status).isEqualTo(400);
        assertThat(Exchange.get("/admin/privacy/consent?email=" + email).breaksDescription().send().status).isEqualTo(401);
    }

    // ---- Observe, and a store that is down ----------------------------------------------------------------------

    @Test
    void healthAndMetricsAnswerAsDescribed() {
        for (String path : List.of("/observe/health", "/observe/health/live", "/observe/health/ready")) {
            Exchange health = Exchange.get(path).management().send();
            assertThat(health.status).as(path).isEqualTo(200);
            assertThat(health.json().path("status").asText()).isEqualTo("UP");
        }
        Exchange metrics = Exchange.get("/observe/metrics").management().send();
        assertThat(metrics.status).isEqualTo(200);
        assertThat(metrics.body).contains("bridge_queue_depth{destination=\"iterable\"}");
    }

    @Test
    void whileTheStateStoreIsDownHealthAndAdminAnswer503AsDescribed() throws Exception {
        Service store = bridge.main().getCamelContext().getRegistry().lookupByNameAndType("stateStore", Service.class);
        store.stop();
        try {
            Exchange health = Exchange.get("/observe/health").management().send();
            assertThat(health.status).isEqualTo(503);
            assertThat(health.json().path("checks").get(0).path("name").asText()).isEqualTo("state-store");

            for (String path : List.of("/admin/dead-letters", "/admin/dead-letters/" + id(), "/admin/people?email=down@example.com",
                    "/admin/destinations")) {
                Exchange admin = Exchange.get(path).admin().send();
                assertThat(admin.status).as(path).isEqualTo(503);
                assertThat(admin.header("Retry-After")).as(path).isEqualTo("5");
            }
        } finally {
            store.start();
        }
        await().atMost(WAIT).until(() -> bridge.getManagement("/observe/health").statusCode() == 200);
    }

    // ---- Secrets not set ----------------------------------------------------------------------------------------

    @Test
    void withoutSecretsEveryEndpointAnswers401AsDescribed() {
        try (RunningBridge bare = RunningBridge.start(Map.of())) {
            String one = webhookEvent();
            for (Exchange refused : List.of(
                    Exchange.post("/v1/track", event("track")).writeKey(WRITE_KEY).on(bare).send(),
                    Exchange.post("/webhooks/segment", one).header("X-Signature", Signed.segmentSignature(one, SEGMENT_SECRET)).on(bare).send(),
                    Exchange.post("/webhooks/sailthru", Signed.sailthruPostback(Map.of("action", "verify", "email", "v@example.com"),
                            SAILTHRU_KEY, SAILTHRU_SECRET)).contentType("application/x-www-form-urlencoded").on(bare).send(),
                    Exchange.post("/webhooks/iterable", iterableWebhook()).header("Authorization", "Bearer " + ITERABLE_TOKEN).on(bare).send(),
                    Exchange.get("/admin/dry-run").admin().on(bare).send())) {
                assertThat(refused.status).as(refused.path).isEqualTo(401);
                assertThat(refused.json().path("error").asText()).as(refused.path).containsPattern("[A-Z]+_[A-Z_]+");
            }
        }
    }

    // ---- Every described operation was exercised ------------------------------------------------------------------

    @Test
    @Order(Integer.MAX_VALUE)
    void everyDescribedOperationWasExercised() {
        Set<String> described = new TreeSet<>();
        description.operations().forEach(operation -> described.add(operation.toString()));
        Set<String> notExercised = new TreeSet<>(described);
        notExercised.removeAll(EXERCISED);

        assertThat(notExercised).as("operations of openapi.json no exchange of this test reached").isEmpty();
    }

    // ---- Exchanges ----------------------------------------------------------------------------------------------

    /**
     * One request and its answer, checked against the description when sent: the answer always, the request unless
     * it breaks the description on purpose.
     */
    private static final class Exchange {
        final String method;
        final String path;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final String requestBody;
        private boolean gzip;
        private boolean validRequest = true;
        private boolean management;
        private RunningBridge target = bridge;
        int status;
        private Map<String, List<String>> answerHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        String body;

        private Exchange(String method, String path, String body) {
            this.method = method;
            this.path = path;
            this.requestBody = body;
            if (body != null) {
                headers.put("Content-Type", "application/json");
            }
        }

        static Exchange get(String path) {
            return new Exchange("GET", path, null);
        }

        static Exchange post(String path, String body) {
            return new Exchange("POST", path, body);
        }

        static Exchange delete(String path) {
            return new Exchange("DELETE", path, null);
        }

        static Exchange options(String path) {
            return new Exchange("OPTIONS", path, null);
        }

        Exchange header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Exchange contentType(String type) {
            return header("Content-Type", type);
        }

        Exchange writeKey(String key) {
            return header("Authorization", RunningBridge.basic(key));
        }

        Exchange admin() {
            return header("Authorization", "Bearer " + ADMIN_TOKEN);
        }

        Exchange gzip() {
            gzip = true;
            return header("Content-Encoding", "gzip");
        }

        Exchange management() {
            management = true;
            return this;
        }

        Exchange on(RunningBridge other) {
            target = other;
            return this;
        }

        /** The request is wrong on purpose (to be refused): only the answer is checked. */
        Exchange breaksDescription() {
            validRequest = false;
            return this;
        }

        Exchange send() {
            String base = management ? target.managementUrl() : target.baseUrl();
            byte[] wire = requestBody == null ? new byte[0] : gzip ? gzipped(requestBody) : requestBody.getBytes(StandardCharsets.UTF_8);
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15))
                    .method(method, requestBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(wire));
            headers.forEach(request::header);
            try {
                HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
                status = response.statusCode();
                answerHeaders.putAll(response.headers().map());
                body = response.body();
            } catch (IOException e) {
                throw new UncheckedIOException(method + " " + path, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return check();
        }

        /** The answer to a request written to a socket by hand (a body held back or cut short), read from it. */
        static Exchange read(String method, String path, InputStream in) throws IOException {
            Exchange exchange = new Exchange(method, path, null).breaksDescription();
            String statusLine = RunningBridge.httpLine(in);
            exchange.status = Integer.parseInt(statusLine.split(" ")[1]);
            int length = -1;
            for (String header = RunningBridge.httpLine(in); !header.isEmpty(); header = RunningBridge.httpLine(in)) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim();
                String value = header.substring(colon + 1).trim();
                exchange.answerHeaders.computeIfAbsent(name, any -> new ArrayList<>()).add(value);
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(value);
                }
            }
            byte[] body = length >= 0 ? in.readNBytes(length)
                    : "chunked".equalsIgnoreCase(exchange.header("Transfer-Encoding")) ? chunks(in) : in.readAllBytes();
            exchange.body = new String(body, StandardCharsets.UTF_8);
            return exchange.check();
        }

        private Exchange check() {
            String plainPath = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
            String operation = description.operationOf(method, plainPath).map(Object::toString).orElse(null);
            assertThat(operation).as("%s %s has an operation in openapi.json", method, plainPath).isNotNull();
            EXERCISED.add(operation);

            SimpleResponse.Builder answer = SimpleResponse.Builder.status(status);
            // HttpClient lists HTTP/2's pseudo-header :status among the headers; it is no header of the answer.
            answerHeaders.forEach((name, values) -> {
                if (!name.startsWith(":")) {
                    answer.withHeader(name, values);
                }
            });
            if (body != null && !body.isEmpty()) {
                answer.withBody(body);
            }
            Request.Method requestMethod = Request.Method.valueOf(method);
            ValidationReport report = validRequest
                    ? description.validate(request(requestMethod, plainPath), answer.build())
                    : description.validateResponse(plainPath, requestMethod, answer.build());
            assertThat(ApiDescription.errors(report)).as("%s %s answered %d %s\n%s", method, path, status, answerHeaders, body)
                    .isEmpty();
            return this;
        }

        /** The request as the description sees it: the body as sent before any Content-Encoding. */
        private SimpleRequest request(Request.Method requestMethod, String plainPath) {
            SimpleRequest.Builder request = new SimpleRequest.Builder(requestMethod, plainPath);
            headers.forEach(request::withHeader);
            if (path.contains("?")) {
                for (String pair : path.substring(path.indexOf('?') + 1).split("&")) {
                    String[] parts = pair.split("=", 2);
                    request.withQueryParam(URLDecoder.decode(parts[0], StandardCharsets.UTF_8),
                            parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "");
                }
            }
            if (requestBody != null) {
                request.withBody(requestBody);
            }
            return request.build();
        }

        String header(String name) {
            List<String> values = answerHeaders.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        JsonNode json() {
            try {
                return RunningBridge.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        /** A body sent in chunks (RFC 9112, 7.1), without trailers. */
        private static byte[] chunks(InputStream in) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(RunningBridge.httpLine(in).split(";")[0].trim(), 16); size > 0;
                    size = Integer.parseInt(RunningBridge.httpLine(in).split(";")[0].trim(), 16)) {
                body.write(in.readNBytes(size));
                RunningBridge.httpLine(in);
            }
            RunningBridge.httpLine(in);
            return body.toByteArray();
        }

    }

    // ---- Bodies -------------------------------------------------------------------------------------------------

    private static String id() {
        return UUID.randomUUID().toString();
    }

    /** A valid body for a call of the Tracking API. */
    private static String event(String call) {
        String messageId = ",\"messageId\":\"" + id() + "\"";
        return switch (call) {
            case "identify" -> "{\"userId\":\"u-1\",\"traits\":{\"email\":\"u1@example.com\"}" + messageId + "}";
            case "track" -> "{\"userId\":\"u-1\",\"event\":\"Clicked\",\"properties\":{\"n\":1},\"timestamp\":\"2026-11-22T10:15:30.000Z\"" + messageId + "}";
            case "page" -> "{\"anonymousId\":\"a-1\",\"name\":\"Home\"" + messageId + "}";
            case "screen" -> "{\"userId\":\"u-1\",\"name\":\"Home\"" + messageId + "}";
            case "group" -> "{\"userId\":\"u-1\",\"groupId\":\"g-1\"" + messageId + "}";
            case "alias" -> "{\"userId\":\"u-2\",\"previousId\":\"u-1\"" + messageId + "}";
            case "batch", "import" -> "{\"batch\":[{\"type\":\"track\",\"userId\":\"u-1\",\"event\":\"Clicked\"" + messageId
                    + "},{\"type\":\"identify\",\"anonymousId\":\"a-1\",\"messageId\":\"" + id() + "\"}],\"context\":{\"library\":{\"name\":\"test\"}}}";
            default -> throw new IllegalArgumentException(call);
        };
    }

    /** A body the call refuses for the field {@link #invalidField}. */
    private static String invalidEvent(String call) {
        return switch (call) {
            case "track" -> "{\"userId\":\"u-1\"}";
            case "group" -> "{\"userId\":\"u-1\"}";
            case "alias" -> "{\"userId\":\"u-1\"}";
            case "batch", "import" -> "{\"sentAt\":\"2026-11-22T10:15:30.000Z\"}";
            default -> "{\"traits\":{}}";
        };
    }

    private static String invalidField(String call) {
        return switch (call) {
            case "track" -> "event";
            case "group" -> "groupId";
            case "alias" -> "previousId";
            case "batch", "import" -> "batch";
            default -> "userId";
        };
    }

    /** A body past the call's limit: one event past bridge.intake.max-event-bytes, a batch of too many events. */
    private static String tooLarge(String call) {
        if (call.equals("batch") || call.equals("import")) {
            StringBuilder batch = new StringBuilder("{\"batch\":[");
            for (int i = 0; i <= MAX_BATCH_EVENTS; i++) {
                batch.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"}");
            }
            return batch.append("]}").toString();
        }
        return event(call).replaceFirst("\\{", "{\"padding\":\"" + "x".repeat(MAX_EVENT_BYTES) + "\",");
    }

    /** A batch of valid tracks whose JSON is exactly {@code bytes} long. */
    private static String batchOfExactly(int bytes) {
        StringBuilder batch = new StringBuilder("{\"batch\":[");
        int events = 5;
        for (int i = 0; i < events; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"userId\":\"u-held\",\"event\":\"Held\",\"messageId\":\"")
                    .append(id()).append("\",\"properties\":{\"padding\":\"PAD").append(i).append("\"}}");
        }
        String frame = batch.append("]}").toString();
        int padding = (bytes - (frame.length() - events * 4)) / events;
        int rest = bytes - (frame.length() - events * 4) - padding * events;
        String result = frame;
        for (int i = 0; i < events; i++) {
            result = result.replace("PAD" + i, "x".repeat(padding + (i == 0 ? rest : 0)));
        }
        assertThat(result).hasSize(bytes);
        return result;
    }

    private static String webhookEvent() {
        return "{\"type\":\"track\",\"userId\":\"u-hook\",\"event\":\"Clicked\",\"messageId\":\"" + id() + "\"}";
    }

    private static String iterableWebhook() {
        return "{\"eventName\":\"emailOpen\",\"email\":\"open-" + id() + "@example.com\",\"dataFields\":{\"campaignId\":12,"
                + "\"messageId\":\"" + id() + "\"}}";
    }

    /** A JSON body of exactly {@code bytes} bytes, past a webhook limit when {@code bytes} is. */
    private static String padded(int bytes) {
        String frame = "{\"padding\":\"\"}";
        return "{\"padding\":\"" + "x".repeat(bytes - frame.length()) + "\"}";
    }

    private static String requestHead(String path, int contentLength) {
        String auth = switch (path) {
            case "/v1/track", "/v1/batch" -> "Authorization: " + RunningBridge.basic(WRITE_KEY) + "\r\n";
            case "/webhooks/iterable" -> "Authorization: Bearer " + ITERABLE_TOKEN + "\r\n";
            default -> "";
        };
        String type = path.equals("/webhooks/sailthru") ? "application/x-www-form-urlencoded" : "application/json";
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: " + type + "\r\n" + auth
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    private static String deadLetterId(String messageId) {
        for (JsonNode letter : Exchange.get("/admin/dead-letters?destination=iterable&limit=1000").admin().send().json().path("deadLetters")) {
            if (messageId.equals(letter.path("messageId").asText())) {
                return letter.path("id").asText();
            }
        }
        return null;
    }

    private static byte[] gzipped(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** An answer with the console's security headers, as ConsoleRoutes sends them. */
    private static SimpleResponse.Builder consolePage(String contentType) {
        return SimpleResponse.Builder.ok().withContentType(contentType).withBody("<p>")
                .withHeader("Content-Security-Policy", ConsoleRoutes.CONTENT_SECURITY_POLICY)
                .withHeader("X-Content-Type-Options", "nosniff").withHeader("Referrer-Policy", "no-referrer")
                .withHeader("Cache-Control", "no-store").withHeader("X-Frame-Options", "DENY");
    }

    private static SimpleResponse json(int status, String body) {
        return SimpleResponse.Builder.status(status).withContentType("application/json").withBody(body).build();
    }

    /** The keys of a report's errors, e.g. {@code validation.response.status.unknown}. */
    private static Set<String> errorKeys(ValidationReport report) {
        Set<String> keys = new TreeSet<>();
        ApiDescription.errors(report).forEach(error -> keys.add(error.substring(0, error.indexOf(':'))));
        return keys;
    }

    private static int port(String url) {
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    }
}
