package org.segmentbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** A path of property names is walked on the tree; what it reads is exactly what Jayway reads. */
class SourcePathTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<String> PATHS = List.of("$.traits", "$.traits.email", "$.traits.address.city",
            "$.traits.address.city.name", "$.traits.missing", "$.missing.deeper", "$.traits.nothing", "$.traits.nothing.below",
            "$.traits.list", "$.traits.list.first", "$.traits.count", "$.traits.big", "$.traits.huge", "$.traits.ratio",
            "$.traits.yes", "$.traits.empty", "$.traits.emptyText", "$.traits._under_score", "$.properties.products",
            "$.properties.price", "$.properties.total", "$.properties.count", "$.type", "$.traits.text.length");

    private static JsonNode event() throws Exception {
        return JSON.readTree("""
                {"type":"identify","traits":{"email":"zoë@example.com","address":{"city":"Łódź"},"nothing":null,
                 "list":[{"first":1},2],"count":42,"big":12345678901,"huge":123456789012345678901234567890,"ratio":0.25,
                 "yes":false,"empty":{},"emptyText":"","_under_score":"u","text":"abc"},
                 "properties":{"products":[{"sku":"a"}],"price":19.990,"total":1e2,"count":-7}}""");
    }

    @Test
    void everyPathReadsWhatJaywayReads() throws Exception {
        JsonNode event = event();
        for (String text : PATHS) {
            SourcePath path = SourcePath.compile(text);
            assertThat(path.read(event)).as(text).isEqualTo(path.readWithJayway(event));
        }
    }

    @Test
    void aRootThatIsNoObjectReadsNothing() throws Exception {
        for (String root : List.of("[{\"traits\":{\"email\":\"a@b.c\"}}]", "\"text\"", "7", "null")) {
            JsonNode event = JSON.readTree(root);
            for (String text : PATHS) {
                SourcePath path = SourcePath.compile(text);
                assertThat(path.read(event)).as(text + " on " + root).isNull();
                assertThat(path.readWithJayway(event)).as(text + " on " + root + " through Jayway").isNull();
            }
        }
    }

    @Test
    void containersAreTheEventsOwnAndScalarsKeepTheirKind() throws Exception {
        JsonNode event = event();

        assertThat(SourcePath.compile("$.traits.address").read(event)).isSameAs(event.at("/traits/address"));
        assertThat(SourcePath.compile("$.traits.count").read(event).isInt()).isTrue();
        assertThat(SourcePath.compile("$.traits.big").read(event).isLong()).isTrue();
        assertThat(SourcePath.compile("$.traits.huge").read(event).isBigInteger()).isTrue();
        assertThat(SourcePath.compile("$.traits.ratio").read(event).isDouble()).isTrue();
        assertThat(SourcePath.compile("$.traits.email").read(event).textValue()).isEqualTo("zoë@example.com");
    }

    @Test
    void aDecimalIsReadAsJaywayGivesIt() {
        ObjectNode event = Json.NODES.objectNode();
        event.putObject("properties").put("price", new java.math.BigDecimal("19.990")).put("small", 1.5f).put("short", (short) 3);
        for (String text : List.of("$.properties.price", "$.properties.small", "$.properties.short")) {
            SourcePath path = SourcePath.compile(text);
            assertThat(path.read(event)).as(text).isEqualTo(path.readWithJayway(event));
        }
    }

    @Test
    void pathsOfOtherShapesStillGoThroughJayway() throws Exception {
        JsonNode event = event();
        for (String text : List.of("$", "$['traits']['email']", "$.traits.list[0].first", "$.properties.products[*].sku",
                "$..email", "$.traits.list[?(@.first == 1)]")) {
            SourcePath path = SourcePath.compile(text);
            assertThat(path.read(event)).as(text).isEqualTo(path.readWithJayway(event));
        }
        assertThat(SourcePath.compile("$.properties.products[*].sku").read(event)).hasSize(1);
    }
}
