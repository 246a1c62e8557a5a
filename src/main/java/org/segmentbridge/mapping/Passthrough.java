package org.segmentbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Copies the keys of one event object that no field maps, so new traits reach the vendor without editing the file. */
final class Passthrough {
    static final List<String> TRANSFORMS = List.of("snake_case", "flatten");

    private final SourcePath path;
    private final Set<String> skipped;
    private final List<String> transforms;
    private final String prefix;

    Passthrough(SourcePath path, Set<String> skipped, List<String> transforms, String prefix) {
        this.path = path;
        this.skipped = Set.copyOf(skipped);
        this.transforms = List.copyOf(transforms);
        this.prefix = prefix;
    }

    String from() {
        return path.text();
    }

    /** Fields win: a key that a field already wrote is not overwritten. */
    void copyInto(ObjectNode output, JsonNode event, String mapping) {
        JsonNode source = path.read(event);
        if (source == null) return;
        if (!source.isObject()) {
            throw new MappingException("mapping " + mapping + ", passthrough (from " + path.text() + "): expected an object, got "
                    + Json.describe(source));
        }
        ObjectNode remaining = Json.NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!skipped.contains(entry.getKey()) && !entry.getValue().isNull()) remaining.set(entry.getKey(), entry.getValue());
        }
        for (String transform : transforms) {
            remaining = "flatten".equals(transform) ? Transform.flatten(remaining) : snakeCaseKeys(remaining);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = remaining.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = prefix + entry.getKey();
            if (!output.has(key)) output.set(key, entry.getValue());
        }
    }

    private static ObjectNode snakeCaseKeys(ObjectNode object) {
        ObjectNode renamed = Json.NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode value = entry.getValue().isObject() ? snakeCaseKeys((ObjectNode) entry.getValue()) : entry.getValue();
            renamed.set(Transform.snakeCase(entry.getKey()), value);
        }
        return renamed;
    }
}
