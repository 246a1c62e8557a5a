package org.segmentbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/** One step of a field's `transforms` list. */
interface Transform {
    List<String> NAMES = List.of("trim", "lowercase", "uppercase", "snake_case", "flatten", "multiply", "join");

    JsonNode apply(JsonNode value) throws ValueProblem;

    default boolean isJoin() {
        return false;
    }

    /** @throws IllegalArgumentException with the problem as users should read it */
    static Transform parse(JsonNode spec) {
        if (spec.isTextual()) {
            switch (spec.textValue()) {
                case "trim": return onText(String::trim);
                case "lowercase": return onText(s -> s.toLowerCase(Locale.ROOT));
                case "uppercase": return onText(s -> s.toUpperCase(Locale.ROOT));
                case "snake_case": return onText(Transform::snakeCase);
                case "flatten": return value -> value.isObject() ? flatten((ObjectNode) value) : value;
                case "multiply":
                case "join":
                    throw new IllegalArgumentException("transform '" + spec.textValue() + "' needs an argument, e.g. {"
                            + spec.textValue() + ": " + ("join".equals(spec.textValue()) ? "\",\"" : "100") + "}");
                default:
                    throw unknown(spec.textValue());
            }
        }
        if (spec.isObject() && spec.size() == 1) {
            Map.Entry<String, JsonNode> only = spec.fields().next();
            JsonNode argument = only.getValue();
            switch (only.getKey()) {
                case "multiply":
                    if (!argument.isNumber()) {
                        throw new IllegalArgumentException("multiply needs a number, got '" + argument.asText() + "'");
                    }
                    return multiply(argument.decimalValue());
                case "join":
                    if (!argument.isValueNode() || argument.isNull()) {
                        throw new IllegalArgumentException("join needs a separator text, e.g. {join: \",\"}");
                    }
                    return join(argument.asText());
                default:
                    throw unknown(only.getKey());
            }
        }
        throw new IllegalArgumentException("a transform must be a name or {name: argument}, got " + Json.typeName(spec)
                + (spec.isValueNode() ? " '" + spec.asText() + "'" : ""));
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown transform '" + name + "'; the transforms are " + NAMES);
    }

    private static Transform onText(UnaryOperator<String> change) {
        return value -> value.isTextual() ? Json.NODES.textNode(change.apply(value.textValue())) : value;
    }

    private static Transform multiply(BigDecimal factor) {
        return value -> {
            if (!Json.isNumeric(value)) throw new ValueProblem("cannot multiply " + Json.describe(value));
            return Json.number(Json.decimal(value).multiply(factor));
        };
    }

    private static Transform join(String separator) {
        return new Transform() {
            @Override
            public JsonNode apply(JsonNode value) throws ValueProblem {
                if (!value.isArray()) return value;
                StringBuilder joined = new StringBuilder();
                for (JsonNode element : value) {
                    if (element.isContainerNode()) throw new ValueProblem("cannot join a list that holds " + Json.describe(element));
                    if (joined.length() > 0) joined.append(separator);
                    joined.append(Json.text(element));
                }
                return Json.NODES.textNode(joined.toString());
            }

            @Override
            public boolean isJoin() {
                return true;
            }
        };
    }

    /** "Gold Plan", "goldPlan", "HTMLParser" and "gold-plan" all become words joined by "_". */
    static String snakeCase(String text) {
        return SnakeCase.of(text);
    }

    /** The snake_case transform's patterns, compiled once: a mapping applies them to a field of every event. */
    final class SnakeCase {
        private static final Pattern LOWER_THEN_UPPER = Pattern.compile("([a-z0-9])([A-Z])");
        private static final Pattern ACRONYM_THEN_WORD = Pattern.compile("([A-Z]+)([A-Z][a-z])");
        private static final Pattern NOT_ALPHANUMERIC = Pattern.compile("[^A-Za-z0-9]+");
        private static final Pattern EDGE_UNDERSCORES = Pattern.compile("^_+|_+$");

        private SnakeCase() {
        }

        /**
         * What was converted already, up to {@value #REMEMBERED} texts: a passthrough converts every property name of
         * every event, and the names (like most values a mapping converts) repeat from event to event, while four
         * regular-expression passes per name were 2 % of what delivery allocated.
         */
        private static final int REMEMBERED = 4_096;
        private static final Map<String, String> CONVERTED = new ConcurrentHashMap<>();

        static String of(String text) {
            String converted = CONVERTED.get(text);
            if (converted == null) {
                converted = convert(text);
                if (CONVERTED.size() < REMEMBERED) {
                    CONVERTED.put(text, converted);
                }
            }
            return converted;
        }

        private static String convert(String text) {
            String words = LOWER_THEN_UPPER.matcher(text).replaceAll("$1_$2");
            words = ACRONYM_THEN_WORD.matcher(words).replaceAll("$1_$2");
            words = NOT_ALPHANUMERIC.matcher(words).replaceAll("_");
            words = EDGE_UNDERSCORES.matcher(words).replaceAll("");
            return words.toLowerCase(Locale.ROOT);
        }
    }

    static ObjectNode flatten(ObjectNode object) {
        ObjectNode flat = Json.NODES.objectNode();
        flattenInto(flat, "", object);
        return flat;
    }

    private static void flattenInto(ObjectNode flat, String prefix, ObjectNode object) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = prefix + entry.getKey();
            if (entry.getValue().isObject()) {
                flattenInto(flat, key + "_", (ObjectNode) entry.getValue());
            } else {
                flat.set(key, entry.getValue());
            }
        }
    }
}
