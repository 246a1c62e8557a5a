package org.segmentbridge.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

/**
 * {@code bridge_health_up}: what {@code GET /observe/health} answers, as a metric an alert can watch. Each scrape
 * runs the same checks (the state store's write round trip among them), so it is 0 exactly when health answers 503.
 */
public final class HealthMetric {

    private HealthMetric() {
    }

    public static void publish(CamelContext context, MeterRegistry meters) {
        Gauge.builder("bridge.health.up", context, HealthMetric::up)
                .description("1 while every health check is up (GET /observe/health answers 200), 0 while one is down")
                .register(meters);
    }

    private static double up(CamelContext context) {
        return HealthCheckHelper.invoke(context).stream().anyMatch(result -> result.getState() == HealthCheck.State.DOWN) ? 0 : 1;
    }
}
