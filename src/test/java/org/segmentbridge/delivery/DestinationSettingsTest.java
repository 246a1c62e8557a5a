package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Properties;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.segmentbridge.SettingsReader;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad destination setting stops the start-up naming the destination's key, like any other bad setting. */
class DestinationSettingsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rate.requests | 0     | Setting bridge.destination.test.rate.requests must be a positive whole number, got '0'",
            "batch.flush   | later | Setting bridge.destination.test.batch.flush must be a positive duration such as 24h or 90m, got 'later'",
            "batch.linger  | 0s    | Setting bridge.destination.test.batch.linger must be a positive duration such as 24h or 90m, got '0s'",
            "dry-run       | maybe | Setting bridge.destination.test.dry-run must be auto, true or false, got 'maybe'",
            "enabled       | yes   | Setting bridge.destination.test.enabled must be true or false, got 'yes'"})
    void badDestinationSettingStopsTheStart(String key, String value, String message) {
        assertThatThrownBy(() -> DeliveryHarness.start(java.util.Map.of("test", java.util.Map.of(key, value))).close())
                .hasRootCauseMessage(message);
    }

    @Test
    void anEndpointsDocumentedPaceHoldsUnlessTheDestinationRaisesIt() throws Exception {
        Properties values = new Properties();
        values.put("bridge.destination.raised.endpoint-rate.event.requests", "400");
        values.put("bridge.destination.slower.endpoint-rate.event.period", "2s");
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.getPropertiesComponent().setLocation("file:application.properties");
            camel.getPropertiesComponent().setInitialProperties(values);
            SettingsReader reader = new SettingsReader(camel.getPropertiesComponent());
            Rate documented = new Rate(40, Duration.ofSeconds(1));
            assertThat(new DestinationSettings("raised", reader).endpointRate("event", documented)).isEqualTo(new Rate(400, Duration.ofSeconds(1)));
            assertThat(new DestinationSettings("slower", reader).endpointRate("event", documented)).isEqualTo(new Rate(40, Duration.ofSeconds(2)));
            assertThat(new DestinationSettings("raised", reader).endpointRate("user", documented)).isEqualTo(documented);
        }
    }
}
