package org.segmentbridge.support;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.impl.DefaultCamelContext;

/**
 * A bare, started Camel context with the shipped delivery defaults ({@code bridge.delivery.*} from
 * application.properties) and the given settings: what one bridge's connector and transport need, for tests that run
 * several "bridges" in one JVM without booting them.
 */
public final class DeliveryContext {

    private DeliveryContext() {
    }

    public static DefaultCamelContext started(Map<String, String> settings) throws IOException {
        Properties shipped = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"), StandardCharsets.UTF_8)) {
            shipped.load(reader);
        }
        Properties properties = new Properties();
        shipped.stringPropertyNames().stream().filter(key -> key.startsWith("bridge.delivery."))
                .forEach(key -> properties.setProperty(key, shipped.getProperty(key)));
        settings.forEach(properties::setProperty);
        DefaultCamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setInitialProperties(properties);
        context.start();
        return context;
    }
}
