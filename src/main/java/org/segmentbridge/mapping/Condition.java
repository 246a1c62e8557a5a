package org.segmentbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** A field's `when`: the entry applies only to events where this holds. */
final class Condition {
    private final SourcePath path;
    /** Null means "truthy"; otherwise the value's text must be one of these. */
    private final List<String> accepted;

    Condition(SourcePath path, List<String> accepted) {
        this.path = path;
        this.accepted = accepted == null ? null : List.copyOf(accepted);
    }

    boolean holds(JsonNode event) {
        JsonNode value = path.read(event);
        if (accepted == null) return truthy(value);
        if (value == null) return false;
        if (value.isArray()) {
            for (JsonNode element : value) {
                if (matches(element)) return true;
            }
            return false;
        }
        return matches(value);
    }

    private boolean matches(JsonNode value) {
        return value.isValueNode() && accepted.contains(Json.text(value));
    }

    private static boolean truthy(JsonNode value) {
        if (Json.isEmpty(value)) return false;
        if (value.isBoolean()) return value.booleanValue();
        if (value.isNumber()) return value.decimalValue().signum() != 0;
        if (value.isContainerNode()) return !value.isEmpty();
        return true;
    }
}
