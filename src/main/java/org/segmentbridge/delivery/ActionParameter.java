package org.segmentbridge.delivery;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One parameter of an action, declared once with the action: what a route may write after
 * {@code deliver:<destination>:<action>?}. {@code deliver:} checks a route's parameters against the declarations when
 * the route is built, {@code actions} lists them and the README's action reference is generated from them.
 *
 * <p>A required parameter that is not given, or blank (a setting without value), is a {@link MissingParameter}; an
 * optional one that is not given takes its default ({@link Action.Input#parameter(ActionParameter)}). A blank value
 * passes the type check. Build declarations with the factories and refine them:
 * {@code ActionParameter.text("event", "the event to trigger").asRequired()}.
 *
 * @param name         as routes write it
 * @param type         how a value is checked
 * @param required     whether a route must give a value that is not blank
 * @param defaultValue the value an optional parameter takes when it is not given; null when it has none (or when
 *                     the action derives it from the event, which {@code doc} then says)
 * @param allowed      the values of an {@link Type#ENUM}; empty for the other types
 * @param doc          one line: what the parameter means
 * @param secret       its value is a credential: it is never repeated in messages, and listed as a secret
 */
public record ActionParameter(String name, Type type, boolean required, String defaultValue, List<String> allowed,
                              String doc, boolean secret) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,18}");
    private static final Pattern ID = Pattern.compile("\\d{1,18}");

    /** What a value must look like. */
    public enum Type {
        /** Any text. */
        TEXT("text"),
        /** Comma-separated names; blanks between commas are ignored. */
        NAMES("list of names"),
        /** Comma-separated whole numbers (a vendor's numeric ids); blanks between commas are ignored. */
        IDS("list of ids"),
        /** A whole number. */
        INTEGER("integer"),
        /** {@code true} or {@code false}. */
        BOOLEAN("boolean"),
        /** One of the declared {@link ActionParameter#allowed()} values. */
        ENUM("one of");

        private final String label;

        Type(String label) {
            this.label = label;
        }

        /** As the catalogue shows it. */
        public String label() {
            return label;
        }
    }

    public ActionParameter {
        Objects.requireNonNull(type, "type");
        allowed = List.copyOf(allowed);
        if (name == null || !NAME.matcher(name).matches() || name.equals("mapping")) {
            throw new IllegalArgumentException("an action parameter needs a name of letters, digits, _ and -, other than "
                    + "mapping (deliver:'s own), got '" + name + "'");
        }
        if (doc == null || doc.isBlank() || doc.contains("\n")) {
            throw new IllegalArgumentException("parameter " + name + " needs a one-line doc");
        }
        if ((type == Type.ENUM) == allowed.isEmpty()) {
            throw new IllegalArgumentException("parameter " + name + ": an enum, and only an enum, lists its allowed values");
        }
        if (defaultValue != null) {
            if (required) {
                throw new IllegalArgumentException("parameter " + name + " is required, so it has no default");
            }
            problemOf(name, type, allowed, false, defaultValue).ifPresent(problem -> {
                throw new IllegalArgumentException("parameter " + name + "'s default: " + problem);
            });
        }
    }

    public static ActionParameter text(String name, String doc) {
        return new ActionParameter(name, Type.TEXT, false, null, List.of(), doc, false);
    }

    public static ActionParameter names(String name, String doc) {
        return new ActionParameter(name, Type.NAMES, false, null, List.of(), doc, false);
    }

    public static ActionParameter ids(String name, String doc) {
        return new ActionParameter(name, Type.IDS, false, null, List.of(), doc, false);
    }

    public static ActionParameter integer(String name, String doc) {
        return new ActionParameter(name, Type.INTEGER, false, null, List.of(), doc, false);
    }

    public static ActionParameter bool(String name, String doc) {
        return new ActionParameter(name, Type.BOOLEAN, false, null, List.of(), doc, false);
    }

    public static ActionParameter oneOf(String name, List<String> allowed, String doc) {
        return new ActionParameter(name, Type.ENUM, false, null, allowed, doc, false);
    }

    /** The same parameter, which a route must give. */
    public ActionParameter asRequired() {
        return new ActionParameter(name, type, true, defaultValue, allowed, doc, secret);
    }

    /** The same parameter, taking {@code value} when a route does not give it. */
    public ActionParameter defaultsTo(String value) {
        return new ActionParameter(name, type, required, Objects.requireNonNull(value, "value"), allowed, doc, secret);
    }

    /** The same parameter, whose value is a credential. */
    public ActionParameter asSecret() {
        return new ActionParameter(name, type, required, defaultValue, allowed, doc, true);
    }

    /**
     * What is wrong with a value a route gives, or empty when it fits the type. A blank value fits: whether it may be
     * blank is {@link #required()}'s matter.
     */
    public Optional<String> problemWith(String value) {
        return value == null || value.isBlank() ? Optional.empty() : problemOf(name, type, allowed, secret, value);
    }

    private static Optional<String> problemOf(String name, Type type, List<String> allowed, boolean secret, String value) {
        boolean fits = switch (type) {
            case TEXT, NAMES -> true;
            case IDS -> items(value).stream().allMatch(id -> ID.matcher(id).matches());
            case INTEGER -> INTEGER.matcher(value.trim()).matches();
            case BOOLEAN -> value.equals("true") || value.equals("false");
            case ENUM -> allowed.contains(value);
        };
        if (fits) {
            return Optional.empty();
        }
        String got = secret ? "" : ", got '" + value + "'";
        return Optional.of(name + " must be " + expected(type, allowed) + got);
    }

    /** What a value of this type must be, as messages say it. */
    private static String expected(Type type, List<String> allowed) {
        return switch (type) {
            case TEXT, NAMES -> "text";
            case IDS -> "a list of ids: whole numbers separated by commas";
            case INTEGER -> "a whole number";
            case BOOLEAN -> "true or false";
            case ENUM -> "one of " + String.join(", ", allowed);
        };
    }

    /** How a route writes a value of this parameter, for messages: {@code event=<text>}, {@code value=none|all}. */
    public String usage() {
        return name + "=" + (type == Type.ENUM ? String.join("|", allowed) : "<" + type.label() + ">");
    }

    /** The items of a list value (ids, names): split at commas, trimmed, blanks left out. */
    public static List<String> items(String value) {
        if (value == null) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
    }
}
