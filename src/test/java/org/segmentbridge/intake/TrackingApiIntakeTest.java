package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.support.RunningBridge;

/** The Segment HTTP Tracking API (/v1/*) against the running application, over real HTTP. */
class TrackingApiIntakeTest {

    private static final String WRITE_KEY = "write-key-one";
    private static final List<String> DESTINATIONS = List.of("emarsys", "sailthru", "iterable", "segment");

    private static RunningBridge bridge;

    @BeforeAll
    static void startBridge() {
        bridge = RunningBridge.start(Map.of("bridge.write-keys", "write-key-zero, " + WRITE_KEY));
    }

    @AfterAll
    static void stopBridge() {
        bridge.close();
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private static long depth() {
        return bridge.queued("emarsys").size();
    }

    @Test
    void singleTrackWithBasicAuthIsStoredOnEveryDestinationSubscription() {
        String messageId = newId();
        HttpResponse<String> response = bridge.postTracking("/v1/track", WRITE_KEY, """
                {"userId":"user-1","event":"Order Completed","properties":{"total":42.5},
                 "messageId":"%s","originalTimestamp":"2026-11-22T10:00:00.000Z","sentAt":"2026-11-22T10:00:05.000Z"}
                """.formatted(messageId));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"success\":true}");
        for (String destination : DESTINATIONS) {
            List<RunningBridge.QueuedEvent> queued = bridge.queued(destination).stream()
                    .filter(event -> messageId.equals(event.body().path("messageId").asText())).toList();
            assertThat(queued).as("events on %s", destination).hasSize(1);
            JsonNode stored = queued.get(0).body();
            assertThat(stored.path("type").asText()).isEqualTo("track");
            assertThat(stored.path("event").asText()).isEqualTo("Order Completed");
            assertThat(stored.path("properties").path("total").asDouble()).isEqualTo(42.5);
            assertThat(stored.path("receivedAt").asText()).isNotEmpty();
            assertThat(queued.get(0).properties()).containsEntry("receivedVia", "tracking-api");
        }
        JsonNode stored = bridge.queuedWhere("segment", "messageId", messageId).get(0);
        // Segment's clock-skew correction: receivedAt - (sentAt - originalTimestamp) = receivedAt - 5 s.
        java.time.Instant received = java.time.Instant.parse(stored.path("receivedAt").asText());
        assertThat(java.time.Instant.parse(stored.path("timestamp").asText())).isEqualTo(received.minusSeconds(5));
    }

    @ParameterizedTest
    @CsvSource({
            "identify, '\"traits\":{\"email\":\"a@example.com\"}'",
            "page,     '\"name\":\"Home\"'",
            "screen,   '\"name\":\"Settings\"'",
            "group,    '\"groupId\":\"g-1\"'",
            "alias,    '\"previousId\":\"anon-1\"'"})
    void eachSingleCallIsStoredWithItsType(String call, String fields) {
        String messageId = newId();
        HttpResponse<String> response = bridge.postTracking("/v1/" + call, WRITE_KEY,
                "{\"userId\":\"user-2\",\"messageId\":\"" + messageId + "\"," + fields + "}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(bridge.queuedWhere("iterable", "messageId", messageId))
                .singleElement().satisfies(event -> assertThat(event.path("type").asText()).isEqualTo(call));
    }

    @Test
    void writeKeyInTheBodyAuthenticatesAndIsNeverStored() {
        String messageId = newId();
        HttpResponse<String> response = bridge.post("/v1/identify",
                "{\"writeKey\":\"" + WRITE_KEY + "\",\"anonymousId\":\"anon-7\",\"messageId\":\"" + messageId + "\"}",
                "Content-Type", "application/json");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode stored = bridge.queuedWhere("sailthru", "messageId", messageId).get(0);
        assertThat(stored.has("writeKey")).isFalse();
        assertThat(stored.toString()).doesNotContain(WRITE_KEY);
    }

    @Test
    void missingWriteKeyIsRefusedAndNothingIsStored() {
        long before = depth();
        HttpResponse<String> response = bridge.postTracking("/v1/track", null, "{\"userId\":\"u\",\"event\":\"E\"}");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(response).path("success").asBoolean(true)).isFalse();
        assertThat(RunningBridge.json(response).path("error").asText()).contains("missing write key");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void wrongWriteKeyIsRefusedWithoutEchoingItAndNothingIsStored() {
        long before = depth();
        HttpResponse<String> response = bridge.postTracking("/v1/track", "not-a-key", "{\"userId\":\"u\",\"event\":\"E\"}");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("invalid write key");
        assertThat(response.body()).doesNotContain("not-a-key");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void responseCarriesNoRequestHeaders() {
        HttpResponse<String> response = bridge.post("/v1/track", "{\"userId\":\"u\",\"event\":\"E\"}",
                "Content-Type", "application/json", "Authorization", RunningBridge.basic(WRITE_KEY), "X-Custom-Trace", "abc");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().map().keySet()).map(String::toLowerCase)
                .doesNotContain("authorization", "x-custom-trace", "call");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/batch", "/v1/import", "/v1/import/"})
    void batchMergesSharedContextAndIntegrationsIntoEachEvent(String path) {
        String first = newId();
        String second = newId();
        HttpResponse<String> response = bridge.postTracking(path, WRITE_KEY, """
                {"batch":[
                   {"type":"identify","userId":"u-3","messageId":"%s","traits":{"email":"u3@example.com"},
                    "context":{"ip":"10.0.0.9","library":{"name":"own"}}},
                   {"type":"track","userId":"u-3","event":"Viewed","messageId":"%s","integrations":{"Iterable":false}}],
                 "context":{"ip":"10.0.0.1","library":{"name":"analytics-java","version":"3.5"}},
                 "integrations":{"All":true,"Iterable":true}}
                """.formatted(first, second));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode identify = bridge.queuedWhere("emarsys", "messageId", first).get(0);
        assertThat(identify.path("context").path("ip").asText()).isEqualTo("10.0.0.9");
        assertThat(identify.path("context").path("library").path("name").asText()).isEqualTo("own");
        assertThat(identify.path("context").path("library").path("version").asText()).isEqualTo("3.5");
        assertThat(identify.path("integrations").path("Iterable").asBoolean()).isTrue();
        JsonNode track = bridge.queuedWhere("emarsys", "messageId", second).get(0);
        assertThat(track.path("context").path("ip").asText()).isEqualTo("10.0.0.1");
        assertThat(track.path("integrations").path("Iterable").asBoolean()).isFalse();
        assertThat(track.path("integrations").path("All").asBoolean()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no user id          | {\"type\":\"identify\",\"traits\":{}}                          | batch[1].userId      | batch[1].userId or batch[1].anonymousId is required",
            "track without event | {\"type\":\"track\",\"userId\":\"u\"}                          | batch[1].event       | batch[1].event is required for track events",
            "group without id    | {\"type\":\"group\",\"userId\":\"u\"}                          | batch[1].groupId     | batch[1].groupId is required for group events",
            "alias without prev  | {\"type\":\"alias\",\"userId\":\"u\"}                          | batch[1].previousId  | batch[1].previousId is required for alias events",
            "unknown type        | {\"type\":\"purchase\",\"userId\":\"u\"}                       | batch[1].type        | batch[1].type 'purchase' is not one of",
            "missing type        | {\"userId\":\"u\"}                                             | batch[1].type        | batch[1].type is required",
            "long messageId      | {\"type\":\"page\",\"userId\":\"u\",\"messageId\":\"LONG\"}    | batch[1].messageId   | batch[1].messageId is 101 characters long; the limit is 100",
            "bad timestamp       | {\"type\":\"page\",\"userId\":\"u\",\"timestamp\":\"yesterday\"} | batch[1].timestamp | batch[1].timestamp must be an ISO-8601 date-time",
            "timestamp no zone   | {\"type\":\"page\",\"userId\":\"u\",\"sentAt\":\"2026-01-01T10:00:00\"} | batch[1].sentAt | batch[1].sentAt must be an ISO-8601 date-time",
            "sentAt past 9999    | {\"type\":\"page\",\"userId\":\"u\",\"sentAt\":\"+999999999-01-01T00:00:00Z\",\"originalTimestamp\":\"2026-01-01T00:00:00Z\"} | batch[1].sentAt | batch[1].sentAt must be a date-time between the years 0000 and 9999",
            "timestamp before 0  | {\"type\":\"page\",\"userId\":\"u\",\"timestamp\":\"-0001-01-01T00:00:00Z\"} | batch[1].timestamp | batch[1].timestamp must be a date-time between the years 0000 and 9999",
            "traits not object   | {\"type\":\"identify\",\"userId\":\"u\",\"traits\":[1]}       | batch[1].traits      | batch[1].traits must be a JSON object, got an array",
            "userId an object    | {\"type\":\"identify\",\"userId\":{\"a\":1},\"anonymousId\":\"x\"} | batch[1].userId | batch[1].userId must be a string, got an object"})
    void specViolationInABatchIsRefusedNamingFieldAndIndexAndStoresNothing(String name, String invalid, String field, String message) {
        long before = depth();
        String valid = "{\"type\":\"track\",\"userId\":\"ok\",\"event\":\"Fine\",\"messageId\":\"" + newId() + "\"}";
        String body = "{\"batch\":[" + valid + "," + invalid.replace("LONG", "x".repeat(101)) + "]}";

        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = RunningBridge.json(response);
        assertThat(error.path("success").asBoolean(true)).isFalse();
        assertThat(error.path("field").asText()).isEqualTo(field);
        assertThat(error.path("index").asInt(-1)).isEqualTo(1);
        assertThat(error.path("error").asText()).startsWith(message);
        assertThat(depth()).as("the valid first event must not be stored either").isEqualTo(before);
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> idsTheIdentityStoreCannotKeep() {
        String tooLong = "x".repeat(501);
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("/v1/identify", "{\"userId\":\"" + tooLong + "\"}",
                        "userId", null, "userId is 501 characters long; the bridge keeps ids and keys of at most 500"),
                org.junit.jupiter.params.provider.Arguments.of("/v1/alias", "{\"userId\":\"u\",\"previousId\":\"" + tooLong + "\"}",
                        "previousId", null, "previousId is 501 characters long"),
                org.junit.jupiter.params.provider.Arguments.of("/v1/batch", "{\"batch\":[{\"type\":\"identify\",\"anonymousId\":\"a\","
                                + "\"traits\":{\"email\":\"" + tooLong + "\"}}]}",
                        "batch[0].traits.email", 0, "batch[0].traits.email (the person's key, bridge.identity.key-paths) is 501 characters long"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("idsTheIdentityStoreCannotKeep")
    void idsAndKeysLongerThanTheIdentityStoreKeepsAreRefusedNamingTheField(String path, String body, String field,
                                                                          Integer index, String error) {
        long before = depth();

        HttpResponse<String> response = bridge.postTracking(path, WRITE_KEY, body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode answer = RunningBridge.json(response);
        assertThat(answer.path("field").asText()).isEqualTo(field);
        assertThat(answer.path("error").asText()).startsWith(error);
        assertThat(answer.has("index") ? answer.path("index").asInt() : null).isEqualTo(index);
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void singleEventViolationNamesTheField() {
        HttpResponse<String> response = bridge.postTracking("/v1/track", WRITE_KEY, "{\"anonymousId\":\"a-1\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("event is required for track events");
        assertThat(RunningBridge.json(response).path("field").asText()).isEqualTo("event");
        assertThat(RunningBridge.json(response).has("index")).isFalse();
    }

    @Test
    void typeThatContradictsTheEndpointIsRefused() {
        HttpResponse<String> response = bridge.postTracking("/v1/identify", WRITE_KEY, "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("type 'track' does not match the endpoint /v1/identify");
    }

    @Test
    void invalidJsonIsRefusedWithTheParserPosition() {
        HttpResponse<String> response = bridge.postTracking("/v1/identify", WRITE_KEY, "{\"userId\": \"u\",");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText()).startsWith("the request body is not valid JSON");
    }

    @Test
    void deeplyNestedArraysAreRefusedNamingTheNestingLimit() {
        String nested = "[".repeat(10_000) + "]".repeat(10_000);
        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":" + nested + "}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText())
                .isEqualTo("the request body is refused: it nests deeper than 64 levels of arrays and objects");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"n\":1e400}}"
                    + "|the request body holds a number too large for a double",
            "{\"userId\":\"u\",\"event\":\"E\",\"userId\":\"v\"}|the request body is not valid JSON: Duplicate field 'userId'",
            "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"n\":1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123}}"
                    + "|the request body is refused: a number is longer than 100 characters",
            "{\"userId\":\"u\",\"event\":\"E\"} {\"userId\":\"v\",\"event\":\"F\"}"
                    + "|the request body is not valid JSON: more follows the first JSON value"})
    void numbersAndKeysThatCannotBeStoredFaithfullyAreRefused(String body, String error) {
        long before = depth();
        HttpResponse<String> response = bridge.postTracking("/v1/track", WRITE_KEY, body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText()).startsWith(error);
        assertThat(depth()).isEqualTo(before);
    }

    /** An invalid start byte, an encoded surrogate, an overlong '/', a code point past U+10FFFF, a cut sequence. */
    @ParameterizedTest
    @ValueSource(strings = {"ff", "eda080", "c0af", "f4908080", "e282"})
    void invalidUtf8IsRefusedAsInvalidJson(String bytes) {
        byte[] bad = java.util.HexFormat.of().parseHex(bytes);
        byte[] before = "{\"userId\":\"u\",\"event\":\"E".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] after = "\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = new byte[before.length + bad.length + after.length];
        System.arraycopy(before, 0, body, 0, before.length);
        System.arraycopy(bad, 0, body, before.length, bad.length);
        System.arraycopy(after, 0, body, before.length + bad.length, after.length);
        long stored = depth();

        HttpResponse<String> response = bridge.postBytes("/v1/track", body, "Content-Type", "application/json",
                "Authorization", RunningBridge.basic(WRITE_KEY));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText()).startsWith("the request body is not valid JSON: Invalid UTF-8");
        assertThat(depth()).isEqualTo(stored);
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded"})
    void formEncodedBodyIsRefusedAsUnsupportedMediaTypeWhateverTheCase(String contentType) {
        HttpResponse<String> response = bridge.post("/v1/track", "userId=u&event=E",
                "Content-Type", contentType, "Authorization", RunningBridge.basic(WRITE_KEY));

        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("application/json");
    }

    @Test
    void browserSdkTextPlainJsonIsAccepted() {
        String messageId = newId();
        HttpResponse<String> response = bridge.post("/v1/page",
                "{\"anonymousId\":\"a\",\"name\":\"Home\",\"messageId\":\"" + messageId + "\",\"writeKey\":\"" + WRITE_KEY + "\"}",
                "Content-Type", "text/plain");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(bridge.queuedWhere("segment", "messageId", messageId)).hasSize(1);
    }

    @Test
    void unknownCallIsNotFound() {
        HttpResponse<String> response = bridge.postTracking("/v1/purchase", WRITE_KEY, "{}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(RunningBridge.json(response).path("error").asText()).startsWith("unknown endpoint /v1/purchase");
    }

    @Test
    void eventOver32KilobytesIsTooLarge() {
        long before = depth();
        String body = "{\"userId\":\"u\",\"event\":\"Big\",\"properties\":{\"blob\":\"" + "x".repeat(33_000) + "\"}}";

        HttpResponse<String> response = bridge.postTracking("/v1/track", WRITE_KEY, body);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("the limit per event is 32768 bytes");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void batchEventOver32KilobytesIsTooLargeNamingItsIndex() {
        String small = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Small\"}";
        String big = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Big\",\"properties\":{\"blob\":\"" + "x".repeat(33_000) + "\"}}";

        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + small + "," + small + "," + big + "]}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(RunningBridge.json(response).path("index").asInt()).isEqualTo(2);
        assertThat(RunningBridge.json(response).path("error").asText()).startsWith("batch[2] is ");
    }

    @Test
    void batchRequestOver500KilobytesIsTooLarge() {
        long before = depth();
        String event = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"blob\":\"" + "x".repeat(20_000) + "\"}}";
        String body = "{\"batch\":[" + IntStream.range(0, 30).mapToObj(i -> event).collect(Collectors.joining(",")) + "]}";

        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, body);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(RunningBridge.json(response).path("error").asText()).contains("the limit is 512000 bytes");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void batchOfMoreThan2500EventsIsTooLarge() {
        String event = "{\"type\":\"page\",\"userId\":\"u\"}";
        String body = "{\"batch\":[" + IntStream.range(0, 2501).mapToObj(i -> event).collect(Collectors.joining(",")) + "]}";

        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, body);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("batch holds 2501 events; the limit is 2500");
    }

    @Test
    void duplicateMessageIdIsAcknowledgedButStoredOnce() {
        String messageId = newId();
        String event = "{\"userId\":\"u-dup\",\"event\":\"Clicked\",\"messageId\":\"" + messageId + "\"}";
        double duplicatesBefore = bridge.metric("bridge_processor_events_dropped_total", Map.of("reason", "duplicate", "endpoint", "tracking-api"));

        assertThat(bridge.postTracking("/v1/track", WRITE_KEY, event).statusCode()).isEqualTo(200);
        assertThat(bridge.postTracking("/v1/track", WRITE_KEY, event).statusCode()).isEqualTo(200);
        String inBatch = "{\"type\":\"track\",\"userId\":\"u-dup\",\"event\":\"Clicked\",\"messageId\":\"" + messageId + "\"}";
        assertThat(bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + inBatch + "," + inBatch + "]}").statusCode()).isEqualTo(200);

        for (String destination : DESTINATIONS) {
            assertThat(bridge.queuedWhere(destination, "messageId", messageId)).as(destination).hasSize(1);
        }
        assertThat(bridge.metric("bridge_processor_events_dropped_total", Map.of("reason", "duplicate", "endpoint", "tracking-api")))
                .isEqualTo(duplicatesBefore + 3);
    }

    @Test
    void eventThatCouldNotBeStoredIsRefusedWith503AndStoredWhenResent() throws Exception {
        String messageId = newId();
        String event = "{\"userId\":\"u-outage\",\"event\":\"During Outage\",\"messageId\":\"" + messageId + "\"}";
        org.apache.camel.Service broker = bridge.main().getCamelContext().getRegistry()
                .lookupByNameAndType("eventBroker", org.apache.camel.Service.class);

        broker.stop();
        HttpResponse<String> refused;
        try {
            refused = bridge.postTracking("/v1/track", WRITE_KEY, event);
        } finally {
            broker.start();
        }

        assertThat(refused.statusCode()).isEqualTo(503);
        // Refused before the append (the admission saw the broker down: 2 s) or by the failed append itself (5 s),
        // whichever caught it first; either way nothing was kept and the sender is told when to come back.
        assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(seconds -> assertThat(seconds).isIn("2", "5"));
        assertThat(RunningBridge.json(refused).path("error").asText()).contains("nothing was kept, retry later");
        // Resent as a Segment library would: after the Retry-After it was given. The intake re-checks the broker at most
        // every quarter second, so an immediate resend may still see the outage it was told about.
        HttpResponse<String> resent = refused;
        for (int attempt = 0; attempt < 5 && resent.statusCode() == 503; attempt++) {
            RunningBridge.sleep(1000L * Long.parseLong(resent.headers().firstValue("Retry-After").orElseThrow()));
            resent = bridge.postTracking("/v1/track", WRITE_KEY, event);
        }
        assertThat(resent.statusCode()).as("the failed attempt must not have marked the messageId as seen: %s", resent.body())
                .isEqualTo(200);
        assertThat(bridge.queuedWhere("emarsys", "messageId", messageId)).hasSize(1);
    }

    @Test
    void missingMessageIdIsGenerated() {
        String userId = "u-" + newId();
        assertThat(bridge.postTracking("/v1/identify", WRITE_KEY, "{\"userId\":\"" + userId + "\"}").statusCode()).isEqualTo(200);

        JsonNode stored = bridge.queuedWhere("emarsys", "userId", userId).get(0);
        assertThat(stored.path("messageId").asText()).startsWith("bridge-").hasSizeLessThanOrEqualTo(100);
        assertThat(stored.path("timestamp").asText()).isEqualTo(stored.path("receivedAt").asText());
    }

    @Test
    void metricsCountAcceptedRejectedAndQueueDepth() {
        double accepted = bridge.metric("bridge_intake_events_accepted_total{endpoint=\"tracking-api\"}");
        double unauthorized = bridge.metric("bridge_intake_requests_rejected_total{endpoint=\"tracking-api\",reason=\"unauthorized\"}");

        bridge.postTracking("/v1/track", WRITE_KEY, "{\"userId\":\"m\",\"event\":\"Counted\"}");
        bridge.postTracking("/v1/track", "wrong", "{\"userId\":\"m\",\"event\":\"Counted\"}");

        assertThat(bridge.metric("bridge_intake_events_accepted_total{endpoint=\"tracking-api\"}")).isEqualTo(accepted + 1);
        assertThat(bridge.metric("bridge_intake_requests_rejected_total{endpoint=\"tracking-api\",reason=\"unauthorized\"}"))
                .isEqualTo(unauthorized + 1);
        assertThat(bridge.metric("bridge_queue_depth{destination=\"iterable\"}")).isEqualTo(bridge.queued("iterable").size());
    }

    @Test
    void marksOnlyTheBridgeMakesAreNotTakenFromTheSender() {
        String userId = "spoofer-" + java.util.UUID.randomUUID();
        var response = bridge.postTracking("/v1/identify", WRITE_KEY, "{\"userId\":\"" + userId + "\",\"traits\":{\"plan\":\"pro\"},"
                + "\"context\":{\"ip\":\"10.0.0.1\",\"bridge\":{\"previousKey\":\"victim@example.com\","
                + "\"consent\":{\"channel\":\"email\",\"state\":\"unsubscribed\",\"changed\":true},"
                + "\"erasure\":{\"request\":\"r\",\"subject\":\"s\"}}}}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<com.fasterxml.jackson.databind.JsonNode> queued = bridge.queuedWhere("emarsys", "userId", userId);
        assertThat(queued).hasSize(1);
        assertThat(queued.get(0).path("context").has("bridge")).isFalse();
        assertThat(queued.get(0).path("context").path("ip").asText()).isEqualTo("10.0.0.1");
    }

    @Test
    void concurrentFirstEventsOfOneNewPersonAreAllStored() throws Exception {
        // Each round, several requests are the first the bridge sees of one new person: all create that person at
        // once, and only one can. Every request must still be stored.
        int rounds = 25;
        int concurrent = 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(concurrent);
        List<String> userIds = new java.util.ArrayList<>();
        try {
            for (int round = 0; round < rounds; round++) {
                String userId = "racer-" + java.util.UUID.randomUUID();
                userIds.add(userId);
                java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(concurrent);
                List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < concurrent; i++) {
                    int n = i;
                    answers.add(pool.submit(() -> {
                        together.await();
                        return bridge.postTracking("/v1/track", WRITE_KEY, "{\"userId\":\"" + userId + "\",\"event\":\"Raced\","
                                + "\"messageId\":\"" + userId + "-" + n + "\"}").statusCode();
                    }));
                }
                for (java.util.concurrent.Future<Integer> answer : answers) {
                    assertThat(answer.get()).as("round %d", round).isEqualTo(200);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        for (String userId : userIds) {
            assertThat(bridge.queuedWhere("emarsys", "userId", userId)).hasSize(concurrent);
        }
    }
}
