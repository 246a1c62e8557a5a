package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.api.ApiDescriptionRoutes;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;

/**
 * A port another process holds fails the bridge's start, naming the setting: Camel's server alone only logged it, and
 * the bridge reported itself healthy while the other process answered the senders (with 404s).
 */
class HttpPortTakenTest {

    @ParameterizedTest(name = "{0} taken")
    @CsvSource({
            "camel.server.port, BRIDGE_HTTP_PORT",
            "camel.management.port, BRIDGE_MANAGEMENT_PORT"})
    void aPortAnotherProcessHoldsFailsTheStartAndNamesItsSetting(String setting, String environmentVariable) throws IOException {
        int port;
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(RunningBridge.freePort()));
            port = other.getLocalPort();

            assertThatThrownBy(() -> RunningBridge.start(Map.of(setting, Integer.toString(port))).close())
                    .rootCause()
                    .hasMessageContaining("cannot listen on port " + port)
                    .hasMessageContaining(setting + " (" + environmentVariable + ")")
                    .hasMessageContaining("Address already in use");
        }
        // Once the other process let go, the same setting starts a bridge that answers on that port itself.
        try (RunningBridge bridge = RunningBridge.start(Map.of(setting, Integer.toString(port)))) {
            if (setting.equals("camel.server.port")) {
                assertThat(bridge.baseUrl()).endsWith(":" + port);
                assertThat(bridge.get(ApiDescriptionRoutes.PATH).statusCode()).isEqualTo(200);
            } else {
                assertThat(bridge.managementUrl()).endsWith(":" + port);
                assertThat(bridge.getManagement("/observe/health").statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void theBridgeProcessEndsWithStatus1AndSaysWhy() throws IOException {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress(RunningBridge.freePort()));
            Path dataDir = TestFolders.create("bridge-port-taken-");
            Map<String, String> environment = new HashMap<>(Map.of(
                    "BRIDGE_HTTP_PORT", Integer.toString(other.getLocalPort()),
                    "BRIDGE_MANAGEMENT_PORT", Integer.toString(RunningBridge.freePort()),
                    "BRIDGE_DATA_DIR", dataDir.toString()));
            environment.putAll(TestStateDatabase.environmentFor(dataDir));

            BridgeProcess.Finished start = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath(), Path.of("").toAbsolutePath(), environment);

            assertThat(start.exitCode()).as(start.output()).isEqualTo(1);
            assertThat(start.output()).contains("segment-bridge did not start: the bridge cannot listen on port " + other.getLocalPort()
                    + " of 0.0.0.0, set by camel.server.port (BRIDGE_HTTP_PORT): Address already in use");
        }
    }
}
