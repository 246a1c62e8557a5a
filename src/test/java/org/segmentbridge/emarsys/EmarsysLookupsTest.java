package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Names resolved to Emarsys ids once and cached; a missing list created once even when many events need it at once. */
class EmarsysLookupsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static EmarsysFake fake;

    @BeforeAll
    static void start() {
        fake = new EmarsysFake(Map.of());
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    private static String order(int n, String email) {
        return "{\"type\":\"track\",\"event\":\"Order Completed\",\"messageId\":\"lookup-order-" + n + "\",\"userId\":\"lookup-" + n + "\","
                + "\"properties\":{\"order_id\":\"O-" + n + "\",\"total\":" + (10 + n) + "},\"context\":{\"traits\":{\"email\":\"" + email + "\"}}}";
    }

    @Test
    void fieldAndEventNamesAreLookedUpOnceAndAnUnknownEventNameAgain() {
        fake.emarsys.stubFor(get(urlEqualTo("/api/v2/event")).willReturn(okJson("""
                {"replyCode":0,"replyText":"OK","data":[{"id":"504","name":"order_completed"}]}""")));
        fake.send(order(1, "l1@example.com"));
        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/504/trigger").size() == 1);
        fake.send(order(2, "l2@example.com"), order(3, "l3@example.com"));
        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/504/trigger").size() >= 2
                && fake.bodies("POST", "/api/v2/event/504/trigger").stream().mapToInt(b -> b.has("contacts") ? b.get("contacts").size() : 1).sum() == 3);

        fake.emarsys.verify(1, getRequestedFor(urlEqualTo("/api/v2/field")));
        fake.emarsys.verify(1, getRequestedFor(urlEqualTo("/api/v2/event")));

        // An event created in Emarsys after the cache was filled: a miss reads the events again.
        fake.emarsys.stubFor(get(urlEqualTo("/api/v2/event")).willReturn(okJson("""
                {"replyCode":0,"replyText":"OK","data":[{"id":"504","name":"order_completed"},{"id":"501","name":"signed_up"}]}""")));
        fake.send("{\"type\":\"track\",\"event\":\"Signed Up\",\"userId\":\"lookup-s\",\"properties\":{},"
                + "\"context\":{\"traits\":{\"email\":\"ls@example.com\"}}}");
        await().atMost(WAIT).until(() -> fake.requests("POST", "/api/v2/event/501/trigger").size() == 1);
        fake.emarsys.verify(2, getRequestedFor(urlEqualTo("/api/v2/event")));
    }

    @Test
    void aMissingListIsCreatedOnceWhenManyEventsNeedItAtOnce() {
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"event\":\"Audience Entered\",\"userId\":\"aud-" + i + "\","
                    + "\"properties\":{\"audience_key\":\"winback\",\"winback\":true},\"context\":{\"traits\":{\"email\":\"w" + i
                    + "@example.com\"},\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"winback\"}}}");
        }
        fake.send(batch.toString());

        await().atMost(WAIT).until(() -> fake.bodies("POST", "/api/v2/contactlist/702/add").stream()
                .mapToInt(body -> body.path("external_ids").size()).sum() == 6);
        fake.emarsys.verify(1, postRequestedFor(urlEqualTo("/api/v2/contactlist"))
                .withRequestBody(equalToJson("{\"name\":\"winback\",\"key_id\":\"3\",\"external_ids\":[]}")));
        fake.assertEveryRequestIsWsseSigned();
    }
}
