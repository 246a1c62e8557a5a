package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** An item's text is its payload's, and its size that text's bytes in UTF-8, as a request carries it. */
class ActionItemTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static int bytesOfItsText(JsonNode tree) {
        return tree.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void anItemIsMeasuredAsItsTextEncodes() throws Exception {
        List<String> payloads = List.of("{}", "[]", "{\"a\":1}",
                // one-, two-, three- and four-byte characters, escapes, control characters and numbers of each kind
                "{\"email\":\"zoë@example.com\",\"name\":\"Łukasz 東京 \\ud83d\\ude00\",\"quote\":\"say \\\"hi\\\"\\n\\t\\u0001\","
                        + "\"n\":42,\"big\":12345678901234567890,\"x\":1.5e-7,\"d\":0.1,\"t\":true,\"nil\":null,"
                        + "\"nested\":{\"list\":[1,\"two\",{\"three\":[]}]}}",
                // surrogates that make no character: the encoder writes a '?' for each
                "{\"lone high\":\"a\\ud800b\",\"lone low\":\"\\udc00\",\"high at the end\":\"x\\ud83d\",\"two highs\":\"\\ud83d\\ud83d\\ude00\"}");
        for (String text : payloads) {
            JsonNode tree = JSON.readTree(text);
            Action.Item item = new Action.Item("", "m", tree);
            assertThat(item.json()).as(text).isEqualTo(tree.toString());
            assertThat(item.jsonBytes()).as(text).isEqualTo(bytesOfItsText(tree));
        }
    }

    @Test
    void aLargeItemIsMeasuredWhole() {
        var tree = JSON.createObjectNode();
        for (int i = 0; i < 5_000; i++) {
            tree.put("field" + i, "välue " + i + " \uD83D\uDE00");
        }
        assertThat(new Action.Item("", "m", tree).jsonBytes()).isEqualTo(bytesOfItsText(tree)).isGreaterThan(100_000);
    }

    @Test
    void itemsEmbeddedAsTheirTextWriteWhatTheirTreesWrite() throws Exception {
        var trees = JSON.createObjectNode();
        var texts = JSON.createObjectNode();
        for (String text : List.of("{\"email\":\"zoë@example.com\",\"n\":1.50,\"emoji\":\"\\ud83d\\ude00\",\"nil\":null}",
                "{\"nested\":{\"list\":[1,\"two\",{\"three\":[]}]},\"quote\":\"say \\\"hi\\\"\\n\"}", "{}")) {
            JsonNode tree = JSON.readTree(text);
            trees.withArray("batch").add(tree);
            texts.withArray("batch").addRawValue(new Action.Item("", "m", tree).asRawJson());
        }
        trees.put("sentAt", "2026-12-05T00:00:00Z");
        texts.put("sentAt", "2026-12-05T00:00:00Z");
        assertThat(texts.toString()).isEqualTo(trees.toString());
        assertThat(JSON.readTree(texts.toString())).isEqualTo(trees);
    }
}
