package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Every action of every connector the bridge ships has a golden folder, and every vendor a {@link GoldenActionTest}
 * that runs them: a new action fails here until it has its folder, a new vendor until it has its test class.
 */
class GoldenCoverageTest {

    private static final Pattern CONNECTOR_SETTING = Pattern.compile("bridge\\.destination\\.([^.]+)\\.connector");

    @Test
    void everyActionOfEveryConnectorHasAGoldenFolderRunByItsVendorsTest() throws IOException {
        Map<String, Connector> connectors = shippedConnectors();
        assertThat(connectors).as("connectors named in application.properties or found as services").isNotEmpty();
        connectors.forEach((destination, connector) -> {
            TreeSet<String> folders = new TreeSet<>();
            GoldenCase.actionFolders(destination).forEach(folder -> folders.add(folder.getFileName().toString()));
            assertThat(folders).as("the folders under %s/%s: one per action of %s, named after it", GoldenCase.ROOT, destination,
                    connector.getClass().getSimpleName()).isEqualTo(new TreeSet<>(connector.actionNames()));
            String testClass = connector.getClass().getName().replaceFirst("Connector$", "") + "GoldenTest";
            assertThat(exists(testClass)).as("%s, a %s that runs %s/%s", testClass, GoldenActionTest.class.getSimpleName(),
                    GoldenCase.ROOT, destination).isTrue();
        });
    }

    /** The connectors application.properties names, by destination, and any a vendor registers as a service. */
    private static Map<String, Connector> shippedConnectors() throws IOException {
        Properties shipped = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"), StandardCharsets.UTF_8)) {
            shipped.load(reader);
        }
        Map<String, Connector> connectors = new LinkedHashMap<>();
        for (String key : new TreeSet<>(shipped.stringPropertyNames())) {
            Matcher setting = CONNECTOR_SETTING.matcher(key);
            if (setting.matches()) {
                connectors.put(setting.group(1), Connector.ofClass(shipped.getProperty(key).trim(), key));
            }
        }
        for (Connector connector : ServiceLoader.load(Connector.class)) {
            String destination = connector.getClass().getPackageName().replaceFirst(".*\\.", "");
            connectors.putIfAbsent(destination, connector);
        }
        return connectors;
    }

    private static boolean exists(String className) {
        try {
            return GoldenActionTest.class.isAssignableFrom(Class.forName(className));
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
