package org.segmentbridge.observe;

import java.util.Locale;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * The console's format ({@code bridge.log.format}): logback's text pattern, or one JSON object per line (logback's
 * own {@link JsonEncoder}) for log collectors. logback is configured from {@code logback.xml} before the settings are
 * read, so the format is put on its {@code console} appender from here: once from the environment before the first
 * line ({@link #fromEnvironment}), and again once the settings are read, where a value in application.properties
 * takes over and a wrong one stops the start naming the setting.
 */
public enum LogFormat {
    TEXT, JSON;

    public static final String SETTING = "bridge.log.format";
    public static final String ENVIRONMENT = "BRIDGE_LOG_FORMAT";
    /** The appender of logback.xml whose encoder is switched; a logback configuration of one's own without it is left alone. */
    static final String APPENDER = "console";

    /** The encoder logback.xml gave the console, kept while JSON replaces it; guarded by the class. */
    private static Encoder<ILoggingEvent> configuredText;

    /** @throws IllegalArgumentException naming the setting when {@code value} is neither text nor json */
    public static LogFormat of(String value) {
        String format = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (format) {
            case "", "text" -> TEXT;
            case "json" -> JSON;
            default -> throw new IllegalArgumentException("Setting " + SETTING + " (" + ENVIRONMENT + ") must be text or json, got '"
                    + value + "'");
        };
    }

    /**
     * Before anything logs: the environment's format, so that the start's first lines are already in it. A wrong
     * value is left for the settings check, which names it.
     */
    public static void fromEnvironment() {
        try {
            of(System.getenv(ENVIRONMENT)).apply();
        } catch (IllegalArgumentException reportedWithTheSettings) {
            // BridgeConfiguration reads the setting and stops the start with this message
        }
    }

    /** Puts this format on the console appender from the next line on. */
    public void apply() {
        synchronized (LogFormat.class) {
            applyToConsole();
        }
    }

    private void applyToConsole() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext logback)) {
            return;
        }
        Appender<ILoggingEvent> appender = logback.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
        if (!(appender instanceof OutputStreamAppender<ILoggingEvent> console)) {
            return;
        }
        Encoder<ILoggingEvent> current = console.getEncoder();
        boolean json = current instanceof JsonEncoder;
        if (json == (this == JSON) || (this == TEXT && configuredText == null)) {
            return;
        }
        Encoder<ILoggingEvent> next;
        if (this == JSON) {
            configuredText = current;
            next = jsonEncoder(logback);
        } else {
            next = configuredText;
        }
        console.stop();
        console.setEncoder(next);
        console.start();
    }

    /**
     * One object per line: timestamp (epoch milliseconds), level, thread, logger, the MDC (ids: messageId,
     * destination, route, action, endpoint), the formatted message and any throwable. The message's pattern and
     * arguments apart, and the logger context, would only repeat it.
     */
    private static JsonEncoder jsonEncoder(LoggerContext logback) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(logback);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        return encoder;
    }
}
