package org.segmentbridge;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.TimeUtils;

/**
 * Typed access to settings; a missing or malformed value fails with the setting's key and what was wrong. Also knows
 * which settings are secrets, and how any value may be shown without the credentials it carries.
 */
public final class SettingsReader {

    private final PropertiesComponent properties;

    public SettingsReader(PropertiesComponent properties) {
        this.properties = properties;
    }

    public Optional<String> optional(String key) {
        return properties.resolveProperty(key).map(String::trim).filter(value -> !value.isEmpty());
    }

    public boolean has(String key) {
        return properties.resolveProperty(key).isPresent();
    }

    public String required(String key) {
        return optional(key).orElseThrow(() -> new IllegalArgumentException(
                "Setting " + key + " is missing or empty: set it in application.properties or its environment variable"));
    }

    public List<String> list(String key) {
        return optional(key).map(value -> Arrays.stream(value.split(","))
                .map(String::trim).filter(item -> !item.isEmpty()).toList()).orElse(List.of());
    }

    public int positiveInt(String key) {
        long value = positiveLong(key);
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Setting " + key + " must be at most " + Integer.MAX_VALUE + ", got '" + value + "'");
        }
        return (int) value;
    }

    public long positiveLong(String key) {
        String value = required(key);
        try {
            long parsed = Long.parseLong(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the key
        }
        throw new IllegalArgumentException("Setting " + key + " must be a positive whole number, got '" + value + "'");
    }

    public double positiveDecimal(String key) {
        String value = required(key);
        try {
            double parsed = Double.parseDouble(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the key
        }
        throw new IllegalArgumentException("Setting " + key + " must be a positive number, got '" + value + "'");
    }

    public boolean bool(String key) {
        String value = required(key);
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("Setting " + key + " must be true or false, got '" + value + "'");
        };
    }

    /** A positive whole number, or one of {@code words} (e.g. {@code auto}, {@code none}), answered as empty. */
    public java.util.OptionalLong count(String key, String... words) {
        String value = required(key).trim();
        for (String word : words) {
            if (word.equalsIgnoreCase(value)) {
                return java.util.OptionalLong.empty();
            }
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed > 0) {
                return java.util.OptionalLong.of(parsed);
            }
        } catch (NumberFormatException ignored) {
            // reported below with the key
        }
        throw new IllegalArgumentException("Setting " + key + " must be a positive whole number"
                + (words.length == 0 ? "" : " or " + String.join(" or ", words)) + ", got '" + value + "'");
    }

    /**
     * A size in bytes: a whole number, or one with a binary unit (KB, MB, GB: 1024-based), e.g. {@code 512MB}.
     * {@code words} are accepted as they are (e.g. {@code auto}, {@code none}) and answered as empty.
     */
    public java.util.OptionalLong bytes(String key, String... words) {
        String value = required(key).trim();
        for (String word : words) {
            if (word.equalsIgnoreCase(value)) {
                return java.util.OptionalLong.empty();
            }
        }
        java.util.regex.Matcher size = java.util.regex.Pattern.compile("(?i)(\\d+)\\s*(B|KB|MB|GB)?").matcher(value);
        if (size.matches()) {
            try {
                long number = Long.parseLong(size.group(1));
                String unit = size.group(2) == null ? "B" : size.group(2).toUpperCase(java.util.Locale.ROOT);
                long bytes = Math.multiplyExact(number, switch (unit) {
                    case "KB" -> 1024L;
                    case "MB" -> 1024L * 1024;
                    case "GB" -> 1024L * 1024 * 1024;
                    default -> 1L;
                });
                if (bytes > 0) {
                    return java.util.OptionalLong.of(bytes);
                }
            } catch (ArithmeticException | NumberFormatException ignored) {
                // reported below with the key
            }
        }
        throw new IllegalArgumentException("Setting " + key + " must be a positive size such as 64MB or 512KB"
                + (words.length == 0 ? "" : ", or " + String.join(" or ", words)) + ", got '" + value + "'");
    }

    public Duration duration(String key) {
        String value = required(key);
        try {
            long millis = TimeUtils.toMilliSeconds(value);
            if (millis > 0) {
                return Duration.ofMillis(millis);
            }
        } catch (RuntimeException ignored) {
            // reported below with the key
        }
        throw new IllegalArgumentException("Setting " + key + " must be a positive duration such as 24h or 90m, got '" + value + "'");
    }

    // ---- secrets: which settings hold them, and how any setting's value may be shown ------------------------------

    public static final String MASK = "***";

    /** A key whose last word is one of these names a secret: {@code bridge.admin-token}, {@code ...api-key}, {@code bridge.write-keys}. */
    private static final Set<String> SECRET_LAST_WORDS = Set.of("password", "passwd", "secret", "token", "key", "keys",
            "credential", "credentials");
    /** A key with one of these words anywhere names a secret: {@code ...ssl.key.password}, Kafka's {@code sasl.jaas.config}. */
    private static final Set<String> SECRET_WORDS = Set.of("password", "passwd", "secret", "jaas");
    /** A JDBC URL's password parameter, and the user:password of a URL. */
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^;&]*");
    private static final Pattern URL_CREDENTIALS = Pattern.compile("(://)[^/@\\s]+@");

    /** Whether a setting holds a secret (a password, token, key or secret): its value is never shown, only whether it is set. */
    public static boolean isSecret(String key) {
        List<String> words = Arrays.asList(key.toLowerCase(Locale.ROOT).split("[.\\-_]"));
        return !words.isEmpty() && (SECRET_LAST_WORDS.contains(words.get(words.size() - 1)) || words.stream().anyMatch(SECRET_WORDS::contains));
    }

    /** The value as it may be shown: {@value #MASK} for a secret that is set, "" for one that is not. */
    public static String shown(String key, String value) {
        if (isSecret(key)) {
            return value == null || value.isBlank() ? "" : MASK;
        }
        return value == null ? null : withoutCredentials(value);
    }

    /** A URL or connection string with its password and user:password masked. */
    public static String withoutCredentials(String value) {
        return URL_CREDENTIALS.matcher(PASSWORD_PARAMETER.matcher(value).replaceAll("$1" + MASK)).replaceAll("$1" + MASK + "@");
    }
}
