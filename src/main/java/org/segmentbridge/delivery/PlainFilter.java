package org.segmentbridge.delivery;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.mapping.PropertyPath;

/**
 * A route filter written as a conjunction of plain conditions, such as
 * {@code $[?(@.type == 'identify' && @.context.personas.computation_class == 'trait')]}: property chains compared
 * with a literal, or asked to exist. Such a filter is answered from the parsed event alone where the answer is plain:
 * Jayway builds each step's path as text, an evaluation context and result lists for every event it is asked about,
 * and every route filter of every destination asks for every event.
 *
 * <p>A condition is plainly false when its property is missing (or reached through a null, an array or a scalar),
 * for every comparison read here and for existence; when a string differs from a quoted literal, a boolean from
 * {@code true} or {@code false}; and when a number compares otherwise with a number, exactly (as decimals, as Jayway
 * compares them). It plainly holds when the string or boolean equals the literal, the numbers compare so, or a
 * property asked to exist holds something other than null. Everything else (a string against a number, a number
 * against a string, an order of strings, a null) is Jayway's to judge, and then Jayway answers for the whole filter
 * as before. {@code !=}, {@code ||}, negation, brackets, functions and literals with escapes are not read here at all:
 * such a filter always goes to Jayway.
 */
final class PlainFilter {

    private static final Optional<Boolean> HOLDS = Optional.of(true);
    private static final Optional<Boolean> FAILS = Optional.of(false);
    private static final Pattern WHOLE_FILTER = Pattern.compile("\\s*\\$\\[\\?\\((.*)\\)]\\s*");
    private static final Pattern CONDITION = Pattern.compile(
            "\\s*@([.\\w]+)\\s*(?:(==|>=|<=|>|<)\\s*('([^'\\\\]*)'|true|false|-?[0-9]+(?:\\.[0-9]+)?))?\\s*");

    private enum Comparison {
        EXISTS, EQUAL, AT_LEAST, AT_MOST, ABOVE, BELOW;

        static Comparison of(String operator) {
            return switch (operator == null ? "" : operator) {
                case "" -> EXISTS;
                case "==" -> EQUAL;
                case ">=" -> AT_LEAST;
                case "<=" -> AT_MOST;
                case ">" -> ABOVE;
                default -> BELOW;
            };
        }

        boolean holdsFor(int order) {
            return switch (this) {
                case EQUAL -> order == 0;
                case AT_LEAST -> order >= 0;
                case AT_MOST -> order <= 0;
                case ABOVE -> order > 0;
                case BELOW -> order < 0;
                case EXISTS -> true;
            };
        }
    }

    /** One condition; exactly one of text, bool and number is set unless it asks for existence. */
    private record Condition(JsonPointer property, Comparison comparison, String text, Boolean bool, BigDecimal number) {

        /** True or false where plain, empty where only Jayway can tell. */
        Optional<Boolean> answer(JsonNode event) {
            JsonNode value = event.at(property);
            if (value.isMissingNode()) {
                return FAILS;
            }
            if (comparison == Comparison.EXISTS) {
                return value.isNull() ? Optional.empty() : HOLDS;
            }
            if (number != null) {
                BigDecimal decimal = decimalOf(value);
                return decimal == null ? Optional.empty() : comparison.holdsFor(decimal.compareTo(number)) ? HOLDS : FAILS;
            }
            if (comparison != Comparison.EQUAL) {
                return Optional.empty();
            }
            if (text != null && value.isTextual()) {
                return value.textValue().equals(text) ? HOLDS : FAILS;
            }
            if (bool != null && value.isBoolean()) {
                return value.booleanValue() == bool ? HOLDS : FAILS;
            }
            return Optional.empty();
        }

        /** The number as Jayway reads it (its Java value's text as a decimal), or null when it is not a plain one. */
        private static BigDecimal decimalOf(JsonNode value) {
            if (!value.isNumber() || (value.isDouble() || value.isFloat()) && !Double.isFinite(value.doubleValue())) {
                return null;
            }
            return new BigDecimal(value.numberValue().toString());
        }
    }

    private final List<Condition> conditions;

    private PlainFilter(List<Condition> conditions) {
        this.conditions = conditions;
    }

    /** {@code filter} (a JSONPath as Jayway compiles it) read as plain conditions, or empty when it is not that plain. */
    static Optional<PlainFilter> of(String filter) {
        Matcher whole = WHOLE_FILTER.matcher(filter);
        if (!whole.matches()) {
            return Optional.empty();
        }
        List<Condition> conditions = new ArrayList<>();
        for (String part : whole.group(1).split("&&", -1)) {
            Matcher condition = CONDITION.matcher(part);
            if (!condition.matches()) {
                return Optional.empty();
            }
            // Whether the path is a plain chain of names is PropertyPath's to say, as for mappings and identity keys.
            Optional<JsonPointer> property = PropertyPath.pointerOf("$" + condition.group(1));
            if (property.isEmpty()) {
                return Optional.empty();
            }
            String literal = condition.group(3);
            Boolean bool = "true".equals(literal) ? Boolean.TRUE : "false".equals(literal) ? Boolean.FALSE : null;
            BigDecimal number = literal != null && condition.group(4) == null && bool == null ? new BigDecimal(literal) : null;
            conditions.add(new Condition(property.get(), Comparison.of(condition.group(2)), condition.group(4), bool, number));
        }
        return Optional.of(new PlainFilter(conditions));
    }

    /**
     * Whether the filter finds the event, where that is plain: false as soon as one condition plainly fails, true
     * when every one plainly holds, empty otherwise (ask Jayway).
     */
    Optional<Boolean> answer(JsonNode event) {
        if (!event.isObject()) {
            return Optional.empty(); // a filter on an array asks each element, not the whole
        }
        boolean allHold = true;
        for (Condition condition : conditions) {
            Optional<Boolean> answer = condition.answer(event);
            if (answer.isEmpty()) {
                allHold = false;
            } else if (!answer.get()) {
                return FAILS;
            }
        }
        return allHold ? HOLDS : Optional.empty();
    }
}
