package org.segmentbridge.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;

/** bridge.log.format written in application.properties (not in the environment) switches the console once it is read. */
class LogFormatTest {

    @Test
    void aFormatWrittenInTheSettingsFileTakesOverOnceTheSettingsAreRead() throws Exception {
        Path workingDir = TestFolders.create("bridge-log-format-");
        // Camel takes a key from the first file that has it: this one, then the packaged application.properties.
        Files.writeString(workingDir.resolve("application.properties"), "bridge.log.format = json\n");
        Path dataDir = TestFolders.create("bridge-log-format-data-");
        int managementPort = RunningBridge.freePort();
        Map<String, String> environment = new HashMap<>(Map.of(
                "BRIDGE_HTTP_PORT", Integer.toString(RunningBridge.freePort()),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort),
                "BRIDGE_DATA_DIR", dataDir.toString(),
                "BRIDGE_MAPPINGS_DIR", Path.of("mappings").toAbsolutePath().toString(),
                "CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:" + TestFolders.create("bridge-no-routes-") + "/*.yaml"));
        environment.putAll(TestStateDatabase.environmentFor(dataDir));

        String output;
        try (BridgeProcess bridge = BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(), workingDir, environment, managementPort)) {
            bridge.awaitHealthy(Duration.ofSeconds(90));
            output = bridge.output();
        }

        List<String> lines = output.substring(0, output.lastIndexOf('\n') + 1).lines().toList();
        String intake = lines.stream().filter(line -> line.contains("Intake admits")).findFirst().orElseThrow();
        assertThat(RunningBridge.JSON.readTree(intake).path("formattedMessage").asText()).startsWith("Intake admits");
        int first = lines.indexOf(lines.stream().filter(line -> line.startsWith("{")).findFirst().orElseThrow());
        assertThat(lines.subList(first, lines.size())).as("every line once the settings are read").allMatch(line -> line.startsWith("{\"timestamp\":"));
    }
}
