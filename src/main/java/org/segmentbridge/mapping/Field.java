package org.segmentbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** One entry of a mapping file's `fields`, validated and ready to apply. */
final class Field {
    private static final DateTimeFormatter DEFAULT_DATE = DateTimeFormatter.ISO_LOCAL_DATE;
    private static final DateTimeFormatter DEFAULT_DATETIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    final String target;
    final List<SourcePath> paths;
    private final JsonNode constant;
    private final FieldType type;
    /** Split at the join: what comes before it works on each element, what comes after on the joined text. */
    private final List<Transform> beforeJoin;
    private final Transform join;
    private final List<Transform> afterJoin;
    private final boolean flattens;
    private final boolean required;
    private final JsonNode defaultValue;
    private final Condition condition;
    private final Map<String, JsonNode> enumValues;
    private final DateTimeFormatter format;
    private final ZoneId zone;

    Field(String target, List<SourcePath> paths, JsonNode constant, FieldType type, List<Transform> transforms,
          boolean flattens, boolean required, JsonNode defaultValue, Condition condition,
          Map<String, JsonNode> enumValues, DateTimeFormatter format, ZoneId zone) {
        this.target = target;
        this.paths = List.copyOf(paths);
        this.constant = constant;
        this.type = type;
        int joinAt = indexOfJoin(transforms);
        this.beforeJoin = List.copyOf(transforms.subList(0, joinAt < 0 ? transforms.size() : joinAt));
        this.join = joinAt < 0 ? null : transforms.get(joinAt);
        this.afterJoin = joinAt < 0 ? List.of() : List.copyOf(transforms.subList(joinAt + 1, transforms.size()));
        this.flattens = flattens;
        this.required = required;
        this.defaultValue = defaultValue;
        this.condition = condition;
        this.enumValues = enumValues;
        this.format = format != null ? format : type == FieldType.DATE ? DEFAULT_DATE : DEFAULT_DATETIME;
        this.zone = zone;
    }

    private static int indexOfJoin(List<Transform> transforms) {
        for (int i = 0; i < transforms.size(); i++) {
            if (transforms.get(i).isJoin()) return i;
        }
        return -1;
    }

    /** @return the vendor value, or null when the entry does not apply or has nothing to give */
    JsonNode apply(JsonNode event, String mapping) {
        if (condition != null && !condition.holds(event)) return null;
        String source = constant != null ? "value " + Json.text(constant) : "from " + paths.get(0).text();
        JsonNode found = constant;
        boolean list = false;
        for (SourcePath path : paths) {
            JsonNode value = path.read(event);
            if (!Json.isEmpty(value)) {
                found = value;
                list = path.givesList();
                source = "from " + path.text();
                break;
            }
        }
        JsonNode result = null;
        if (!Json.isEmpty(found)) {
            try {
                result = convert(found, list || (join != null && found.isArray()));
            } catch (ValueProblem problem) {
                throw new MappingException(context(mapping, source) + problem.getMessage());
            }
        }
        if (!Json.isEmpty(result)) return result;
        if (defaultValue != null) return defaultValue;
        if (required) throw new MappingException(context(mapping, sources()) + "required value is missing");
        return null;
    }

    private String sources() {
        if (constant != null) return "value " + Json.text(constant);
        return "from " + paths.stream().map(SourcePath::text).collect(Collectors.joining(", "));
    }

    private String context(String mapping, String source) {
        return "mapping " + mapping + ", field '" + target + "' (" + source + "): ";
    }

    private JsonNode convert(JsonNode value, boolean list) throws ValueProblem {
        JsonNode converted;
        if (list && value.isArray()) {
            ArrayNode elements = Json.NODES.arrayNode();
            for (JsonNode element : value) {
                JsonNode done = toType(transform(beforeJoin, element));
                if (!Json.isEmpty(done)) elements.add(done);
            }
            converted = elements;
        } else {
            converted = toType(transform(beforeJoin, value));
        }
        if (join == null || Json.isEmpty(converted)) return converted;
        return transform(afterJoin, join.apply(converted));
    }

    private static JsonNode transform(List<Transform> transforms, JsonNode value) throws ValueProblem {
        JsonNode current = value;
        for (Transform transform : transforms) {
            if (Json.isEmpty(current)) return current;
            current = transform.apply(current);
        }
        return current;
    }

    private JsonNode toType(JsonNode value) throws ValueProblem {
        if (Json.isEmpty(value)) return value;
        switch (type) {
            case STRING:
                if (value.isTextual()) return value;
                if (value.isObject() && flattens) return value;
                if (value.isContainerNode()) throw cannotConvert(value);
                return Json.NODES.textNode(Json.text(value));
            case INTEGER:
                if (!Json.isNumeric(value)) throw cannotConvert(value);
                return Json.integer(Json.decimal(value).setScale(0, RoundingMode.HALF_UP).toBigIntegerExact());
            case DECIMAL:
                if (!Json.isNumeric(value)) throw cannotConvert(value);
                return Json.number(Json.decimal(value));
            case BOOLEAN:
                return toBoolean(value);
            case DATE:
                return Json.NODES.textNode(format.format(toDate(value)));
            case DATETIME:
                return Json.NODES.textNode(format.format(toInstant(value).atZone(zone == null ? ZoneOffset.UTC : zone)));
            case ENUM:
                return toEnum(value);
            case OBJECT:
                return value;
            default:
                throw new IllegalStateException("type " + type);
        }
    }

    private JsonNode toBoolean(JsonNode value) throws ValueProblem {
        if (value.isBoolean()) return value;
        if (value.isNumber()) {
            BigDecimal number = value.decimalValue();
            if (number.compareTo(BigDecimal.ONE) == 0) return Json.NODES.booleanNode(true);
            if (number.signum() == 0) return Json.NODES.booleanNode(false);
        }
        if (value.isTextual()) {
            switch (value.textValue().trim().toLowerCase(Locale.ROOT)) {
                case "true": case "yes": case "1": return Json.NODES.booleanNode(true);
                case "false": case "no": case "0": return Json.NODES.booleanNode(false);
                default: break;
            }
        }
        throw cannotConvert(value);
    }

    private LocalDate toDate(JsonNode value) throws ValueProblem {
        if (!value.isTextual()) throw cannotConvert(value);
        String text = value.textValue().trim();
        try {
            if (text.length() <= 10) return LocalDate.parse(text);
            if (zone != null) return toInstant(value).atZone(zone).toLocalDate();
            // A birthday sent as midnight in the user's zone must not move to the day before in UTC.
            return DateTimeFormatter.ISO_DATE_TIME.parse(text, LocalDate::from);
        } catch (DateTimeException e) {
            throw cannotConvert(value);
        }
    }

    private Instant toInstant(JsonNode value) throws ValueProblem {
        if (!value.isTextual()) throw cannotConvert(value);
        String text = value.textValue().trim();
        try {
            if (text.length() <= 10) return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            var parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(text, OffsetDateTime::from, LocalDateTime::from);
            if (parsed instanceof OffsetDateTime offsetDateTime) return offsetDateTime.toInstant();
            return ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw cannotConvert(value);
        }
    }

    private JsonNode toEnum(JsonNode value) throws ValueProblem {
        if (value.isValueNode()) {
            JsonNode mapped = enumValues.get(Json.text(value));
            if (mapped != null) return mapped;
            if (defaultValue != null) return defaultValue;
        }
        throw new ValueProblem(Json.describe(value) + " is not one of the enum values " + enumValues.keySet());
    }

    private ValueProblem cannotConvert(JsonNode value) {
        return new ValueProblem("cannot convert " + Json.describe(value) + " to " + type.yamlName());
    }
}
