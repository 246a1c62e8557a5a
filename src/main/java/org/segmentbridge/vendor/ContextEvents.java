package org.segmentbridge.vendor;

import java.util.function.Consumer;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.SimpleEventNotifierSupport;

/**
 * Listens to the Camel context's own start and stop, and to nothing else: the bridge's start and stop, and a
 * vendor's services, wait for these.
 *
 * <p>Camel makes an event object for every exchange created, sent and completed as long as one notifier might want it;
 * a notifier that does not say it ignores exchange events keeps that on for every exchange of the intake and of
 * delivery (1–2 % of a processing drain's CPU). The bridge reads no exchange event, and Camel's micrometer route
 * notifier is off ({@code camel.metrics.enableRouteEventNotifier}), so with these none is made.
 */
public final class ContextEvents {

    private ContextEvents() {
    }

    /** Calls {@code listener} with the context's start and stop events only. */
    public static void listen(CamelContext context, Consumer<CamelEvent> listener) {
        SimpleEventNotifierSupport notifier = new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                listener.accept(event);
            }
        };
        notifier.setIgnoreExchangeEvents(true);
        notifier.setIgnoreRouteEvents(true);
        notifier.setIgnoreServiceEvents(true);
        notifier.setIgnoreStepEvents(true);
        context.getManagementStrategy().addEventNotifier(notifier);
    }
}
