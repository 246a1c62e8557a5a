package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.RunningBridge;

/** Segment's Webhooks destination posting to /webhooks/segment, signed with X-Signature. */
class SegmentWebhookIntakeTest {

    private static final String SECRET = "sharedsecret";

    private static RunningBridge bridge;

    @BeforeAll
    static void startBridge() {
        bridge = RunningBridge.start(Map.of("bridge.webhook.segment-secret", SECRET));
    }

    @AfterAll
    static void stopBridge() {
        bridge.close();
    }

    private static String sign(String signed) {
        return WebhookSignature.hmacSha1Hex(SECRET.getBytes(StandardCharsets.UTF_8), signed.getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> deliver(String body, String signature) {
        return signature == null
                ? bridge.post("/webhooks/segment", body, "Content-Type", "application/json", "User-Agent", "Segment.io/1.0")
                : bridge.post("/webhooks/segment", body, "Content-Type", "application/json", "User-Agent", "Segment.io/1.0",
                        "X-Signature", signature);
    }

    private static long depth() {
        return bridge.queued("iterable").size();
    }

    @Test
    void signatureMatchesTheDocumentedTestVector() {
        assertThat(sign("{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u1\"}"))
                .isEqualTo("b806d8357f31824aafdfb09f3e32d441468021e5");
    }

    @Test
    void signedSingleEventIsStoredOnEveryDestination() {
        String messageId = UUID.randomUUID().toString();
        String body = "{\"type\":\"identify\",\"userId\":\"w-1\",\"traits\":{\"email\":\"w1@example.com\"},"
                + "\"messageId\":\"" + messageId + "\",\"receivedAt\":\"2026-11-22T09:00:00.000Z\",\"timestamp\":\"2026-11-22T08:59:59.000Z\"}";

        HttpResponse<String> response = deliver(body, sign(body));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"success\":true}");
        for (String destination : new String[] {"emarsys", "sailthru", "iterable", "segment"}) {
            assertThat(bridge.queuedWhere(destination, "messageId", messageId)).as(destination).singleElement()
                    .satisfies(stored -> {
                        assertThat(stored.path("traits").path("email").asText()).isEqualTo("w1@example.com");
                        // Segment's own receivedAt is kept for webhook deliveries.
                        assertThat(stored.path("receivedAt").asText()).isEqualTo("2026-11-22T09:00:00.000Z");
                    });
        }
        assertThat(bridge.queued("emarsys").stream()
                .filter(event -> messageId.equals(event.body().path("messageId").asText()))
                .map(event -> event.properties().get("receivedVia"))).containsExactly("segment-webhook");
    }

    @Test
    void batchedDeliveryIsVerifiedOverItsFirstEventAsSegmentSerializedIt() {
        String firstId = UUID.randomUUID().toString();
        String secondId = UUID.randomUUID().toString();
        String first = "{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u1\",\"messageId\":\"" + firstId + "\"}";
        String second = "{\"type\":\"page\",\"anonymousId\":\"a-2\",\"name\":\"Home\",\"messageId\":\"" + secondId + "\"}";

        HttpResponse<String> response = deliver("[" + first + "," + second + "]", sign(first));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(bridge.queuedWhere("segment", "messageId", firstId)).hasSize(1);
        assertThat(bridge.queuedWhere("segment", "messageId", secondId)).hasSize(1);
    }

    @Test
    void batchSignedOverTheWholeArrayIsRefused() {
        String first = "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u1\"}";
        String body = "[" + first + "]";
        long before = depth();

        HttpResponse<String> response = deliver(body, sign(body));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void forgedSignatureIsRefusedAndNothingIsStored() {
        String body = "{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u1\"}";
        long before = depth();

        HttpResponse<String> response = deliver(body, sign(body.replace("u1", "u2")));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("the X-Signature header does not match the body");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void tamperedBodyIsRefused() {
        String signedBody = "{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u1\"}";

        HttpResponse<String> response = deliver(signedBody.replace("Completed", "Refunded"), sign(signedBody));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void missingSignatureIsRefusedAndNothingIsStored() {
        long before = depth();

        HttpResponse<String> response = deliver("{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u1\"}", null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(RunningBridge.json(response).path("error").asText()).isEqualTo("the X-Signature header is missing");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void uppercaseHexSignatureIsAccepted() {
        String body = "{\"type\":\"page\",\"userId\":\"u-upper\",\"name\":\"Pricing\"}";

        assertThat(deliver(body, sign(body).toUpperCase()).statusCode()).isEqualTo(200);
    }

    @Test
    void deletionNotificationIsStored() {
        String userId = "to-erase-" + UUID.randomUUID();
        String body = "{\"type\":\"delete\",\"userId\":\"" + userId + "\",\"timestamp\":\"2012-12-02T00:30:08.276Z\"}";

        HttpResponse<String> response = deliver(body, sign(body));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode stored = bridge.queuedWhere("emarsys", "userId", userId).get(0);
        assertThat(stored.path("type").asText()).isEqualTo("delete");
        assertThat(stored.path("messageId").asText()).isNotEmpty();
        assertThat(stored.path("timestamp").asText()).isEqualTo("2012-12-02T00:30:08.276Z");
    }

    @Test
    void deletionWithoutUserIdIsInvalid() {
        String body = "{\"type\":\"delete\",\"anonymousId\":\"a\"}";

        HttpResponse<String> response = deliver(body, sign(body));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("field").asText()).isEqualTo("userId");
    }

    @Test
    void invalidEventInABatchNamesItsIndexAndStoresNothing() {
        String first = "{\"type\":\"track\",\"event\":\"Fine\",\"userId\":\"u1\"}";
        String second = "{\"type\":\"track\",\"userId\":\"u1\"}";
        long before = depth();

        HttpResponse<String> response = deliver("[" + first + ", " + second + "]", sign(first));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = RunningBridge.json(response);
        assertThat(error.path("error").asText()).isEqualTo("[1].event is required for track events");
        assertThat(error.path("index").asInt()).isEqualTo(1);
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void anIdLongerThanTheIdentityStoreKeepsIsInvalidNamingItsIndexAndStoresNothing() {
        String first = "{\"type\":\"track\",\"event\":\"Fine\",\"userId\":\"u1\"}";
        String second = "{\"type\":\"identify\",\"userId\":\"" + "u".repeat(600) + "\"}";
        long before = depth();

        HttpResponse<String> response = deliver("[" + first + "," + second + "]", sign(first));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = RunningBridge.json(response);
        assertThat(error.path("field").asText()).isEqualTo("[1].userId");
        assertThat(error.path("index").asInt()).isEqualTo(1);
        assertThat(error.path("error").asText()).isEqualTo("[1].userId is 600 characters long; the bridge keeps ids and keys of at most 500");
        assertThat(depth()).isEqualTo(before);
    }

    @Test
    void xmlDeclaredButDeeplyNestedJsonIsInvalidNotAStoreFailure() {
        String body = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"E\",\"properties\":" + "{\"a\":".repeat(10_000) + "{}"
                + "}".repeat(10_000) + "}";

        HttpResponse<String> response = bridge.post("/webhooks/segment", body, "Content-Type", "application/xml", "X-Signature", sign(body));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RunningBridge.json(response).path("error").asText())
                .isEqualTo("the request body is refused: it nests deeper than 64 levels of arrays and objects");
    }

    @Test
    void resentDeliveryIsAcknowledgedButStoredOnce() {
        String messageId = UUID.randomUUID().toString();
        String body = "{\"type\":\"track\",\"event\":\"Retried\",\"userId\":\"u1\",\"messageId\":\"" + messageId + "\"}";

        assertThat(deliver(body, sign(body)).statusCode()).isEqualTo(200);
        assertThat(deliver(body, sign(body)).statusCode()).isEqualTo(200);

        assertThat(bridge.queuedWhere("sailthru", "messageId", messageId)).hasSize(1);
    }
}
