package org.segmentbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.math.BigInteger;

final class Json {
    static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private Json() {
    }

    /** Missing, null and "" all count as "nothing there", so defaults and first-non-empty treat them alike. */
    static boolean isEmpty(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode()
                || (value.isTextual() && value.textValue().isEmpty())
                || (value.isArray() && value.isEmpty());
    }

    static String typeName(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) return "null";
        if (value.isTextual()) return "string";
        if (value.isNumber()) return "number";
        if (value.isBoolean()) return "boolean";
        if (value.isObject()) return "object";
        if (value.isArray()) return "array";
        return value.getNodeType().name().toLowerCase();
    }

    /**
     * "a string": the value's type is what users need to fix their data. The value itself is never printed: these
     * messages reach logs and dead-letter reasons, and a value may be personal data (an email, a phone number).
     */
    static String describe(JsonNode value) {
        String type = typeName(value);
        if (value == null || value.isNull() || value.isMissingNode()) return "null";
        return (type.startsWith("o") || type.startsWith("a") ? "an " : "a ") + type;
    }

    /** The value as text the way a person writes it: no exponents, no quotes. */
    static String text(JsonNode value) {
        if (value.isTextual()) return value.textValue();
        if (value.isIntegralNumber()) return value.bigIntegerValue().toString();
        if (value.isNumber()) return value.decimalValue().toPlainString();
        return value.asText();
    }

    static JsonNode number(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        // A negative scale would print as 1E+2; JSON readers expect 100.
        if (stripped.scale() <= 0) return integer(stripped.setScale(0).toBigIntegerExact());
        return NODES.numberNode(stripped);
    }

    /** The smallest node that holds the number, so results compare equal to numbers parsed from JSON text. */
    static JsonNode integer(BigInteger value) {
        if (value.bitLength() < 32) return NODES.numberNode(value.intValue());
        if (value.bitLength() < 64) return NODES.numberNode(value.longValue());
        return NODES.numberNode(value);
    }

    static BigDecimal decimal(JsonNode value) throws NumberFormatException {
        if (value.isNumber()) return value.decimalValue();
        return new BigDecimal(value.textValue().trim());
    }

    static boolean isNumeric(JsonNode value) {
        if (value.isNumber()) return true;
        if (!value.isTextual()) return false;
        try {
            new BigDecimal(value.textValue().trim());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
