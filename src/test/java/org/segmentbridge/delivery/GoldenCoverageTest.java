package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.segmentbridge.vendor.Vendor;
import org.segmentbridge.vendor.Vendors;

/**
 * Every action of every connector the bridge ships has a golden folder, and every vendor a {@link GoldenActionTest}
 * that runs them: a new action fails here until it has its folder, a new vendor until it has its test class.
 */
class GoldenCoverageTest {

    @Test
    void everyActionOfEveryConnectorHasAGoldenFolderRunByItsVendorsTest() {
        Map<String, Connector> connectors = shippedConnectors();
        assertThat(connectors).as("connectors of the discovered vendors").isNotEmpty();
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

    /** The connector of every vendor the bridge ships (not the tests' own), by vendor (and destination) name. */
    private static Map<String, Connector> shippedConnectors() {
        Map<String, Connector> connectors = new LinkedHashMap<>();
        for (Vendor vendor : Vendors.discovered().all()) {
            if (Files.exists(Path.of("src/main/java", vendor.getClass().getName().replace('.', '/') + ".java"))) {
                connectors.put(vendor.name(), vendor.connector());
            }
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
