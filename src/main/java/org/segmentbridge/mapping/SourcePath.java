package org.segmentbridge.mapping;

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

    private SourcePath(String text, JsonPath path) {
        this.text = text;
        this.path = path;
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
