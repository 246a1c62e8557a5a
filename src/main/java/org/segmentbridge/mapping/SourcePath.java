package org.segmentbridge.mapping;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;

/** A compiled JSONPath into an event; a path that leads nowhere reads as null, never as an exception. */
final class SourcePath {
    private static final ObjectMapper MAPPER = new ObjectMapper().setNodeFactory(Json.NODES);
    private static final Configuration CONFIGURATION = Configuration.builder()
            .jsonProvider(new JacksonJsonNodeJsonProvider(MAPPER))
            .mappingProvider(new JacksonMappingProvider(MAPPER))
            .options(Option.SUPPRESS_EXCEPTIONS)
            .build();

    private final String text;
    private final JsonPath path;
    /**
     * The pointer of a path that is a chain of names (as every shipped mapping's is), else null: reading those through
     * Jayway made a thirteenth of what the destinations allocated in the processing drain.
     */
    private final JsonPointer pointer;

    private SourcePath(String text, JsonPath path) {
        this.text = text;
        this.path = path;
        this.pointer = PropertyPath.pointerOf(text).orElse(null);
    }

    /** @throws IllegalArgumentException with the problem as users should read it */
    static SourcePath compile(String text) {
        if (!text.startsWith("$")) {
            throw new IllegalArgumentException("bad JSONPath '" + text + "': it must start with '$'");
        }
        try {
            return new SourcePath(text, JsonPath.compile(text));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("bad JSONPath '" + text + "': " + e.getMessage());
        }
    }

    String text() {
        return text;
    }

    /** Wildcards, filters and deep scans give lists whose elements are mapped one by one. */
    boolean givesList() {
        return !path.isDefinite();
    }

    /** @return the value, null when there is none; for a list path the non-null elements */
    JsonNode read(JsonNode event) {
        if (event == null) return null;
        if (pointer != null) {
            JsonNode node = event.at(pointer);
            if (node.isMissingNode()) return null;
            if (asJaywayGivesIt(node)) return node.isNull() ? null : node;
        }
        return readWithJayway(event);
    }

    /**
     * Whether Jayway's answer is this very node: it hands containers back as they are, and scalars as Java values,
     * which {@link #readWithJayway} turns back into equal nodes of these kinds. A decimal, a float or a short would
     * come back as another kind or scale, so those are read as before.
     */
    private static boolean asJaywayGivesIt(JsonNode node) {
        return node.isContainerNode() || node.isNull() || node.isTextual() || node.isBoolean() || node.isInt() || node.isLong()
                || node.isDouble() || node.isBigInteger();
    }

    /** The same read through Jayway, whatever the path. */
    JsonNode readWithJayway(JsonNode event) {
        Object found = path.read(event, CONFIGURATION);
        JsonNode node = found == null || found instanceof JsonNode ? (JsonNode) found : MAPPER.valueToTree(found);
        if (node == null || node.isNull() || node.isMissingNode()) return null;
        if (givesList() && node.isArray()) {
            ArrayNode elements = Json.NODES.arrayNode();
            node.forEach(element -> {
                if (!element.isNull()) elements.add(element);
            });
            return elements;
        }
        return node;
    }
}
