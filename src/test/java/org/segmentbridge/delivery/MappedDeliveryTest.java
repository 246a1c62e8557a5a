package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.support.TestFolders;

/** A route's {@code deliver:...?mapping=} turns events into vendor fields; a mapping failure dead-letters the event. */
class MappedDeliveryTest {

    private static final String ROUTES = DeliveryHarness.route("contacts", "identify", "deliver:%1$s:bulk?list=contacts&mapping=contact");
    private static final String CONTACT = """
            fields:
              - to: 3
                from: [$.traits.email, $.context.traits.email]
                transforms: [trim, lowercase]
                required: true
              - to: age
                from: $.traits.age
                type: integer
              - to: "31"
                from: $.traits.newsletter
                type: enum
                values: {"true": "1", "false": "2"}
            """;
    private static final String MEMBERS = "/mapped/lists/contacts/members";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static DeliveryHarness harness;

    @BeforeAll
    static void start() throws IOException {
        Path mappings = TestFolders.create("bridge-mappings-");
        Files.writeString(mappings.resolve("contact.yaml"), CONTACT);
        harness = DeliveryHarness.start(Map.of("mapped", Map.of("api-key", DeliveryHarness.API_KEY, "batch.flush", "200ms")), null,
                Map.of("bridge.mappings-dir", mappings.toString()), ROUTES);
        harness.vendor.stubFor(post(urlEqualTo(MEMBERS)).willReturn(okJson("{\"failed\":[]}")));
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @Test
    void mappedFieldsAreSentExactly() {
        String id = DeliveryHarness.newId("mapped");

        harness.send("{\"type\":\"identify\",\"userId\":\"u-mapped\",\"messageId\":\"" + id + "\","
                + "\"traits\":{\"email\":\"  Ann@Example.COM \",\"age\":\"42\",\"newsletter\":true}}");

        await().atMost(WAIT).until(() -> !harness.vendor.findAll(postRequestedFor(urlEqualTo(MEMBERS))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(id))).isEmpty());
        assertThat(harness.idsPerRequest(MEMBERS)).contains(java.util.List.of(id));
        JsonNode body = DeliveryHarness.json(harness.vendor.findAll(postRequestedFor(urlEqualTo(MEMBERS))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(id))).get(0).getBodyAsString());
        assertThat(body).isEqualTo(DeliveryHarness.json("{\"members\":[{\"id\":\"" + id + "\",\"user\":\"u-mapped\","
                + "\"fields\":{\"3\":\"ann@example.com\",\"age\":42,\"31\":\"1\"}}]}"));
    }

    @Test
    void valueThatCannotBeCastDeadLettersTheEventNamingTheFieldAndType() {
        String id = DeliveryHarness.newId("uncastable");

        harness.send("{\"type\":\"identify\",\"userId\":\"u-cast\",\"messageId\":\"" + id + "\","
                + "\"traits\":{\"email\":\"cast@example.com\",\"age\":\"forty\"}}");

        await().atMost(WAIT).until(() -> harness.deadLetters("mapped", id).size() == 1);
        JsonNode letter = harness.deadLetters("mapped", id).get(0);
        assertThat(letter.path("action").asText()).isEqualTo("route:mapped-contacts");
        assertThat(letter.path("reason").asText())
                .isEqualTo("mapping contact, field 'age' (from $.traits.age): cannot convert a string to integer");
        assertThat(harness.vendor.findAll(postRequestedFor(urlEqualTo(MEMBERS))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(id)))).isEmpty();
    }

    @Test
    void missingRequiredValueDeadLettersTheEvent() {
        String id = DeliveryHarness.newId("no-email");

        harness.send("{\"type\":\"identify\",\"userId\":\"u-none\",\"messageId\":\"" + id + "\",\"traits\":{\"age\":30}}");

        await().atMost(WAIT).until(() -> harness.deadLetters("mapped", id).size() == 1);
        assertThat(harness.deadLetters("mapped", id).get(0).path("reason").asText())
                .isEqualTo("mapping contact, field '3' (from $.traits.email, $.context.traits.email): required value is missing");
    }

    @Test
    void routeNamingAnUnknownMappingStopsTheStart() {
        assertThatThrownBy(() -> DeliveryHarness.start(Map.of("mapped", Map.of()), null, Map.of(),
                ROUTES.replace("mapping=contact", "mapping=contacts")).close())
                .hasStackTraceContaining("deliver:mapped:bulk?mapping=contacts: no mapping 'contacts' in the mappings folder");
    }

    @Test
    void brokenMappingFileStopsTheStartNamingFileEntryAndProblem() throws IOException {
        Path mappings = TestFolders.create("bridge-bad-mappings-").resolve("mappings");
        Files.createDirectories(mappings);
        Files.writeString(mappings.resolve("contact.yaml"), CONTACT.replace("type: integer", "type: integr"));

        assertThatThrownBy(() -> DeliveryHarness.start(Map.of("mapped", Map.of()), null,
                Map.of("bridge.mappings-dir", mappings.toString()), ROUTES).close())
                .hasRootCauseMessage("mappings/contact.yaml: fields[1] (to: age): unknown type 'integr'; "
                        + "the types are [string, integer, decimal, boolean, date, datetime, enum, object]");
    }
}
