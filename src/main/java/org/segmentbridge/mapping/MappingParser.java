package org.segmentbridge.mapping;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads one mapping file, reporting every problem it finds instead of stopping at the first. */
final class MappingParser {
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .nodeFactory(Json.NODES)
            .build();
    private static final Set<String> TOP_KEYS = Set.of("fields", "passthrough");
    private static final Set<String> FIELD_KEYS = Set.of(
            "to", "from", "value", "type", "transforms", "required", "default", "when", "values", "format", "zone");
    private static final Set<String> WHEN_KEYS = Set.of("path", "equals", "in");
    private static final Set<String> PASSTHROUGH_KEYS = Set.of("from", "except", "transforms", "prefix");
    private static final LocalDate SAMPLE_DATE = LocalDate.of(2026, 11, 22);

    private final String file;
    private final List<String> problems;
    private int found;

    /** @param file the file as users see it, e.g. "mappings/emarsys-contact.yaml" */
    MappingParser(String file, List<String> problems) {
        this.file = file;
        this.problems = problems;
    }

    /** @return the mapping, or null when the file has problems (they are added to the list) */
    Mapping parse(String name, Path path) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readAllBytes(path));
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null || e.getLocation().getLineNr() < 1 ? "" : " at line " + e.getLocation().getLineNr();
            problem("", "not valid YAML" + line + ": " + firstLine(e.getOriginalMessage()));
            return null;
        } catch (IOException e) {
            problem("", "cannot read the file: " + e);
            return null;
        }
        if (root == null || !root.isObject()) {
            problem("", "the top level must be a mapping with 'fields'");
            return null;
        }
        unknownKeys("", root, TOP_KEYS);
        JsonNode entries = root.get("fields");
        List<Field> fields = new ArrayList<>();
        if (entries == null || entries.isNull()) {
            problem("", "missing 'fields'");
        } else if (!entries.isArray()) {
            problem("", "'fields' must be a list");
        } else {
            Map<String, Integer> targets = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                Field field = field(i, entries.get(i), targets);
                if (field != null) fields.add(field);
            }
        }
        Passthrough passthrough = root.hasNonNull("passthrough") ? passthrough(root.get("passthrough"), fields) : null;
        return found == 0 ? new Mapping(name, fields, passthrough) : null;
    }

    private Field field(int index, JsonNode entry, Map<String, Integer> targets) {
        String where = "fields[" + index + "]";
        if (!entry.isObject()) {
            problem(where, "an entry must be a mapping with 'to' and 'from' or 'value'");
            return null;
        }
        int before = found;
        JsonNode toNode = entry.get("to");
        String target = null;
        if (toNode == null || toNode.isNull() || (toNode.isValueNode() && toNode.asText().isEmpty())) {
            problem(where, "missing 'to'");
        } else if (!toNode.isValueNode()) {
            problem(where, "'to' must be a field name or id");
        } else {
            target = toNode.asText();
            where += " (to: " + target + ")";
            Integer earlier = targets.putIfAbsent(target, index);
            if (earlier != null) problem(where, "duplicate 'to' " + target + ", also in fields[" + earlier + "]");
        }
        unknownKeys(where, entry, FIELD_KEYS);

        boolean hasFrom = entry.hasNonNull("from");
        boolean hasValue = entry.has("value");
        if (hasFrom && hasValue) problem(where, "has both 'from' and 'value'; use one");
        if (!hasFrom && !hasValue) problem(where, "missing 'from' (a JSONPath) or 'value' (a constant)");
        List<SourcePath> paths = hasFrom ? paths(where, entry.get("from")) : List.of();
        JsonNode constant = hasValue && !hasFrom ? entry.get("value") : null;

        FieldType type = FieldType.STRING;
        if (entry.hasNonNull("type")) {
            try {
                type = FieldType.parse(entry.get("type").asText());
            } catch (IllegalArgumentException e) {
                problem(where, e.getMessage());
            }
        }

        List<Transform> transforms = new ArrayList<>();
        boolean flattens = false;
        JsonNode transformList = entry.get("transforms");
        if (transformList != null && !transformList.isNull()) {
            if (!transformList.isArray()) {
                problem(where, "'transforms' must be a list, e.g. [trim, lowercase]");
            } else {
                for (JsonNode spec : transformList) {
                    try {
                        transforms.add(Transform.parse(spec));
                        flattens |= "flatten".equals(spec.asText());
                    } catch (IllegalArgumentException e) {
                        problem(where, e.getMessage());
                    }
                }
                if (transforms.stream().filter(Transform::isJoin).count() > 1) problem(where, "only one join per field");
            }
        }

        boolean required = false;
        if (entry.hasNonNull("required")) {
            if (entry.get("required").isBoolean()) {
                required = entry.get("required").booleanValue();
            } else {
                problem(where, "'required' must be true or false");
            }
        }
        JsonNode defaultValue = entry.hasNonNull("default") ? entry.get("default") : null;
        Condition condition = entry.hasNonNull("when") ? condition(where, entry.get("when")) : null;

        Map<String, JsonNode> enumValues = null;
        JsonNode values = entry.get("values");
        if (type == FieldType.ENUM) {
            if (values == null || values.isNull()) {
                problem(where, "type enum needs 'values', e.g. {\"true\": \"1\", \"false\": \"2\"}");
            } else if (!values.isObject() || values.isEmpty()) {
                problem(where, "'values' must be a mapping of input text to output value");
            } else {
                enumValues = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> value = it.next();
                    enumValues.put(value.getKey(), value.getValue());
                }
            }
        } else if (values != null) {
            problem(where, "'values' is only for type enum");
        }

        boolean dated = type == FieldType.DATE || type == FieldType.DATETIME;
        DateTimeFormatter format = null;
        if (entry.hasNonNull("format")) {
            String pattern = entry.get("format").asText();
            if (!dated) {
                problem(where, "'format' is only for types date and datetime");
            } else {
                try {
                    format = DateTimeFormatter.ofPattern(pattern);
                    // A time pattern on a date fails only when printing; catch it now rather than on the first event.
                    if (type == FieldType.DATE) format.format(SAMPLE_DATE);
                    else format.format(SAMPLE_DATE.atStartOfDay(ZoneOffset.UTC));
                } catch (IllegalArgumentException | DateTimeException e) {
                    problem(where, "bad format '" + pattern + "': " + e.getMessage());
                }
            }
        }
        ZoneId zone = null;
        if (entry.hasNonNull("zone")) {
            String zoneName = entry.get("zone").asText();
            if (!dated) {
                problem(where, "'zone' is only for types date and datetime");
            } else {
                try {
                    zone = ZoneId.of(zoneName);
                } catch (DateTimeException e) {
                    problem(where, "unknown zone '" + zoneName + "'");
                }
            }
        }
        if (found > before) return null;
        return new Field(target, paths, constant, type, transforms, flattens, required, defaultValue, condition,
                enumValues, format, zone);
    }

    private List<SourcePath> paths(String where, JsonNode from) {
        List<SourcePath> paths = new ArrayList<>();
        if (from.isTextual()) {
            path(where, from.textValue(), paths);
        } else if (from.isArray() && !from.isEmpty()) {
            for (JsonNode element : from) {
                if (element.isTextual()) path(where, element.textValue(), paths);
                else problem(where, "'from' must list JSONPaths, got " + Json.typeName(element));
            }
        } else {
            problem(where, "'from' must be a JSONPath or a list of them");
        }
        return paths;
    }

    private void path(String where, String text, List<SourcePath> paths) {
        try {
            paths.add(SourcePath.compile(text));
        } catch (IllegalArgumentException e) {
            problem(where, e.getMessage());
        }
    }

    private Condition condition(String where, JsonNode when) {
        if (when.isTextual()) {
            List<SourcePath> path = new ArrayList<>();
            path(where, when.textValue(), path);
            return path.isEmpty() ? null : new Condition(path.get(0), null);
        }
        if (!when.isObject() || !when.hasNonNull("path") || when.has("equals") == when.has("in")) {
            problem(where, "'when' must be a JSONPath or {path: ..., equals: ...} or {path: ..., in: [...]}");
            return null;
        }
        unknownKeys(where + " when", when, WHEN_KEYS);
        List<SourcePath> path = new ArrayList<>();
        path(where, when.get("path").asText(), path);
        List<String> accepted = new ArrayList<>();
        JsonNode expected = when.has("equals") ? when.get("equals") : when.get("in");
        if (when.has("in") && !expected.isArray()) {
            problem(where, "'when' 'in' must be a list");
            return null;
        }
        for (JsonNode value : expected.isArray() ? expected : List.of(expected)) {
            if (!value.isValueNode() || value.isNull()) {
                problem(where, "'when' compares with plain values, got " + Json.typeName(value));
            } else {
                accepted.add(Json.text(value));
            }
        }
        return path.isEmpty() ? null : new Condition(path.get(0), accepted);
    }

    private Passthrough passthrough(JsonNode spec, List<Field> fields) {
        String where = "passthrough";
        if (!spec.isObject()) {
            problem(where, "must be a mapping with 'from'");
            return null;
        }
        int before = found;
        unknownKeys(where, spec, PASSTHROUGH_KEYS);
        SourcePath path = null;
        if (!spec.hasNonNull("from") || !spec.get("from").isTextual()) {
            problem(where, "missing 'from' (the JSONPath of an object)");
        } else {
            List<SourcePath> paths = new ArrayList<>();
            path(where, spec.get("from").textValue(), paths);
            if (!paths.isEmpty() && paths.get(0).givesList()) {
                problem(where, "'from' must point to one object, not a wildcard path");
            } else if (!paths.isEmpty()) {
                path = paths.get(0);
            }
        }
        Set<String> skipped = new HashSet<>(strings(where, spec, "except"));
        if (path != null) {
            String keyPrefix = path.text() + ".";
            for (Field field : fields) {
                for (SourcePath used : field.paths) {
                    String key = used.text().startsWith(keyPrefix) ? used.text().substring(keyPrefix.length()) : null;
                    if (key != null && !key.isEmpty() && key.matches("[^.\\[\\]*]+")) skipped.add(key);
                }
            }
        }
        List<String> transforms = strings(where, spec, "transforms");
        for (String transform : transforms) {
            if (!Passthrough.TRANSFORMS.contains(transform)) {
                problem(where, "unknown transform '" + transform + "'; passthrough transforms are " + Passthrough.TRANSFORMS);
            }
        }
        String prefix = "";
        if (spec.hasNonNull("prefix")) {
            if (spec.get("prefix").isValueNode()) prefix = spec.get("prefix").asText();
            else problem(where, "'prefix' must be text");
        }
        return found > before || path == null ? null : new Passthrough(path, skipped, transforms, prefix);
    }

    private List<String> strings(String where, JsonNode spec, String key) {
        List<String> strings = new ArrayList<>();
        JsonNode list = spec.get(key);
        if (list == null || list.isNull()) return strings;
        if (!list.isArray()) {
            problem(where, "'" + key + "' must be a list");
            return strings;
        }
        for (JsonNode element : list) {
            if (element.isValueNode() && !element.isNull()) strings.add(element.asText());
            else problem(where, "'" + key + "' must list names, got " + Json.typeName(element));
        }
        return strings;
    }

    private void unknownKeys(String where, JsonNode node, Set<String> known) {
        node.fieldNames().forEachRemaining(key -> {
            if (!known.contains(key)) problem(where, "unknown key '" + key + "'");
        });
    }

    private void problem(String where, String problem) {
        found++;
        problems.add(file + ": " + (where.isEmpty() ? "" : where + ": ") + problem);
    }

    private static String firstLine(String message) {
        String text = message == null ? "" : message.strip();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
