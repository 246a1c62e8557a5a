package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;
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
import org.segmentbridge.delivery.RouteWarnings;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/** A bad setting stops the start with a message naming the setting and the value's problem. */
class BridgeSettingsTest {

    private static final String OPT_OUT = "file:routes/iterable/opt-out.yaml";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bridge.dedupe.window          | soon | Setting bridge.dedupe.window must be a positive duration such as 24h or 90m, got 'soon'",
            "bridge.intake.max-event-bytes | -5   | Setting bridge.intake.max-event-bytes must be a positive whole number, got '-5'",
            "bridge.shutdown.timeout       | soon | Setting bridge.shutdown.timeout must be a positive duration such as 24h or 90m, got 'soon'",
            "bridge.shutdown.timeout       | 500ms | Setting bridge.shutdown.timeout (BRIDGE_SHUTDOWN_TIMEOUT): '500 ms' is too short; give at least 1s",
            "bridge.destinations           | ' '  | Setting bridge.destinations is empty: name at least one destination",
            "bridge.log.format             | xml  | Setting bridge.log.format (BRIDGE_LOG_FORMAT) must be text or json, got 'xml'"})
    void badSettingStopsTheStartNamingIt(String key, String value, String message) {
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of(key, value)).close();

        assertThatThrownBy(start).hasRootCauseMessage(message);
    }

    @Test
    void theShutdownTimeoutIsCamelsShutdownTimeoutToo() {
        try (RunningBridge bridge = RunningBridge.start(Map.of("bridge.shutdown.timeout", "7s"))) {
            org.apache.camel.spi.ShutdownStrategy camels = bridge.main().getCamelContext().getShutdownStrategy();
            assertThat(camels.getTimeUnit().toSeconds(camels.getTimeout())).isEqualTo(7);
        }
    }

    @Test
    void theIterableOptOutWithoutMessageTypesStopsTheStartOnceIterableHasCredentials() throws IOException {
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of(
                "camel.main.routesIncludePattern", OPT_OUT,
                "bridge.destination.iterable.api-key", "live-key")).close();

        assertThatThrownBy(start).hasRootCauseMessage(ToolsTest.whereTheOptOutReadsItsMessageTypes() + ": "
                + ToolsTest.OPT_OUT_WITHOUT_MESSAGE_TYPES);
    }

    @Test
    void theIterableOptOutWithoutMessageTypesStartsWithOneWarningWhileIterableRunsInDryRun() throws IOException {
        try (RunningBridge bridge = RunningBridge.start(Map.of("camel.main.routesIncludePattern", OPT_OUT))) {
            assertThat(bridge.main().getCamelContext().getRoute("iterable-opt-out")).as("the route runs").isNotNull();
            assertThat(warnings(bridge)).containsExactly(ToolsTest.whereTheOptOutReadsItsMessageTypes() + ": "
                    + ToolsTest.OPT_OUT_WITHOUT_MESSAGE_TYPES
                    + " (only a warning while destination iterable runs in dry-run; once it sends, the bridge refuses to start)");
        }
    }

    @Test
    void theIterableOptOutStartsWithCredentialsAndMessageTypesButNoChannels() {
        try (RunningBridge bridge = RunningBridge.start(Map.of(
                "camel.main.routesIncludePattern", OPT_OUT,
                "bridge.destination.iterable.api-key", "live-key",
                "bridge.iterable.unsubscribe-message-types", "101"))) {
            assertThat(bridge.main().getCamelContext().getRoute("iterable-opt-out")).isNotNull();
            assertThat(warnings(bridge)).isEmpty();
        }
    }

    /** A user's route file for Iterable, with {@code step} on its line 9. */
    private static String userRoute(String step) throws IOException {
        Path routes = TestFolders.create("bridge-user-routes-");
        String route = DeliveryHarness.route("mine", "track", step).formatted("iterable");
        assertThat(route.lines().toList().get(8)).contains(step.formatted("iterable"));
        Files.writeString(routes.resolve("mine.yaml"), route);
        return "file:" + routes.toAbsolutePath() + "/*.yaml";
    }

    @Test
    void aUserRouteSettingWithoutValueStopsTheStartNamingFileLineAndKey() throws IOException {
        String routes = userRoute("deliver:%1$s:event?event={{my.custom.key}}");
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of(
                "camel.main.routesIncludePattern", routes,
                "bridge.destination.iterable.api-key", "live-key",
                "my.custom.key", " ")).close();

        assertThatThrownBy(start).hasRootCauseMessage(routes.substring("file:".length()).replace("*.yaml", "mine.yaml")
                + ", line 9: {{my.custom.key}} has no value: set my.custom.key, or delete the route file if you do not use this use case");
    }

    @Test
    void aUserRouteSettingMarkedOptionalStartsWithoutValue() throws IOException {
        try (RunningBridge bridge = RunningBridge.start(Map.of(
                "camel.main.routesIncludePattern", userRoute("deliver:%1$s:event?event={{my.custom.key:}}"),
                "bridge.destination.iterable.api-key", "live-key",
                "my.custom.key", ""))) {
            assertThat(bridge.main().getCamelContext().getRoute("iterable-mine")).isNotNull();
            assertThat(warnings(bridge)).isEmpty();
        }
    }

    @Test
    void anActionsEmptyRequiredParameterStopsTheStartNamingIt() throws IOException {
        String routes = userRoute("deliver:%1$s:unsubscribe?messageTypes=");
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of(
                "camel.main.routesIncludePattern", routes,
                "bridge.destination.iterable.api-key", "live-key")).close();

        assertThatThrownBy(start).hasRootCauseMessage("deliver:iterable:unsubscribe: unsubscribe needs messageTypes=<ids> or "
                + "channels=<ids> (comma-separated Iterable ids), and both are empty");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "deliver:%1$s:event?evnt=signup                | event has no parameter 'evnt'; it takes event (and mapping)",
            "deliver:%1$s:unsubscribe?messageTypes=101,abc | unsubscribe: messageTypes must be a list of ids: whole numbers separated by commas, got '101,abc'",
            "deliver:%1$s:user-update?list=vip              | user-update has no parameter 'list'; it takes only mapping"})
    void anUnknownOrIllTypedParameterStopsTheStartNamingFileAndParameterEvenInDryRun(String step, String problem) throws IOException {
        String routes = userRoute(step);
        ThrowableAssert.ThrowingCallable start = () -> RunningBridge.start(Map.of("camel.main.routesIncludePattern", routes)).close();

        assertThatThrownBy(start).hasRootCauseMessage(routes.substring("file:".length()).replace("*.yaml", "mine.yaml")
                + ", route iterable-mine: deliver:iterable:" + step.substring("deliver:%1$s:".length(), step.indexOf('?')) + ": " + problem);
    }

    private static java.util.List<String> warnings(RunningBridge bridge) {
        return bridge.main().getCamelContext().getRegistry().lookupByNameAndType(RouteWarnings.BEAN, RouteWarnings.class).all();
    }
}
