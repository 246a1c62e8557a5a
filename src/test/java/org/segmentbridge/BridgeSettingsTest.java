package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.delivery.DeliveryHarness;
import org.segmentbridge.support.RunningBridge;

/** A bad setting stops the start with a message naming the setting and the value's problem. */
class BridgeSettingsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bridge.dedupe.window          | soon | Setting bridge.dedupe.window must be a positive duration such as 24h or 90m, got 'soon'",
            "bridge.intake.max-event-bytes | -5   | Setting bridge.intake.max-event-bytes must be a positive whole number, got '-5'",
            "bridge.destinations           | ' '  | Setting bridge.destinations is empty: name at least one destination"})
    void badSettingStopsTheStartNamingIt(String key, String value, String message) {
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of(key, value)).close();

        assertThatThrownBy(start).hasRootCauseMessage(message);
    }

    @Test
    void anActionsEmptyRequiredParameterStopsTheStartNamingIt() throws IOException {
        Path routes = Files.createTempDirectory("bridge-user-routes-");
        Files.writeString(routes.resolve("mine.yaml"),
                DeliveryHarness.route("mine", "track", "deliver:%1$s:unsubscribe?messageTypes=").formatted("iterable"));
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of(
                "camel.main.routesIncludePattern", "file:" + routes.toAbsolutePath() + "/*.yaml",
                "bridge.destination.iterable.api-key", "live-key")).close();

        assertThatThrownBy(start).hasRootCauseMessage("deliver:iterable:unsubscribe: unsubscribe needs messageTypes=<ids> or "
                + "channels=<ids> (comma-separated Iterable ids), and both are empty");
    }
}
