package org.segmentbridge;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.TimeUtils;

/** Typed access to settings; a missing or malformed value fails with the setting's key and what was wrong. */
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
}
