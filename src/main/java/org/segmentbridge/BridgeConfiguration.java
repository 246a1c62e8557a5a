package org.segmentbridge;

import java.util.Map;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.segmentbridge.intake.IntakeRoutes;
import org.segmentbridge.queue.EmbeddedBroker;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.state.StateStoreHealthCheck;
import org.segmentbridge.queue.QueueHealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the bridge's machinery into the Camel context: the state store and the queue start before any route (they
 * are context services), the intake routes are added, and health checks and queue metrics are published.
 */
public class BridgeConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(BridgeConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        BridgeSettings settings = BridgeSettings.from(context);

        StateStore stateStore = new StateStore(settings.dataDir());
        EmbeddedBroker broker = new EmbeddedBroker(settings.dataDir(), settings.destinations());
        context.addService(stateStore, true, true);
        context.addService(broker, true, true);
        context.getRegistry().bind("connectionFactory", broker.connectionFactory());
        context.getRegistry().bind("stateStore", stateStore);
        context.getRegistry().bind("eventBroker", broker);

        HealthCheckRegistry health = HealthCheckHelper.getHealthCheckRegistry(context);
        health.register(new StateStoreHealthCheck(stateStore));
        health.register(new QueueHealthCheck(broker));

        IntakeRoutes intake = new IntakeRoutes(settings, stateStore, new EventQueue(broker.connectionFactory()));
        context.addRoutes(intake);

        context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextStartedEvent) {
                    publishQueueDepth(context, broker);
                    reportDisabledEndpoints(intake.disabledEndpoints());
                }
            }
        });
    }

    private static void publishQueueDepth(CamelContext context, EmbeddedBroker broker) {
        MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
        for (String destination : broker.destinations()) {
            Gauge.builder("bridge.queue.depth", () -> broker.depth(destination))
                    .description("Events waiting in a destination's subscription")
                    .tag("destination", destination)
                    .register(meters);
        }
    }

    private static void reportDisabledEndpoints(Map<String, String> disabled) {
        disabled.forEach((endpoint, why) ->
                LOG.warn("Endpoint {} is disabled and answers 401: {}", endpoint, why));
    }
}
