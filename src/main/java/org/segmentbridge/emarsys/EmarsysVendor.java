package org.segmentbridge.emarsys;

import java.time.Clock;
import java.util.Optional;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.service.ServiceHelper;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.RouteWarnings;
import org.segmentbridge.state.ClusterLocks;
import org.segmentbridge.vendor.Backfill;
import org.segmentbridge.vendor.ContextEvents;
import org.segmentbridge.vendor.Vendor;
import org.segmentbridge.vendor.VendorContext;

/**
 * Emarsys: contacts, lists and external events out. Emarsys reports engagement and consent to no one, so they are
 * pulled: engagement by the engagement backfill, scheduled by {@code routes/emarsys/engagement-backfill.yaml} (the
 * bean {@value EngagementBackfill#BEAN}) and run for a range by {@code backfill emarsys}; opt-outs and opt-ins by the
 * opt-in feed, scheduled by {@code routes/emarsys/optin-feed.yaml} (the bean {@value OptInFeed#BEAN}).
 */
public final class EmarsysVendor implements Vendor {

    /** Emarsys' developer changelog, 2024-11-08: OAuth 2.0 is available, and WSSE ends at the end of 2026. */
    static final String WSSE_SUNSET = "Emarsys uses WSSE credentials (EMARSYS_API_USER): Emarsys ends WSSE at the end of 2026 "
            + "(developer changelog, 2024-11-08); create OpenID Connect API credentials and set EMARSYS_CLIENT_ID and "
            + "EMARSYS_CLIENT_SECRET (see the README's Emarsys section)";

    @Override
    public String name() {
        return "emarsys";
    }

    @Override
    public Connector connector() {
        return new EmarsysConnector();
    }

    @Override
    public void configure(VendorContext context) throws Exception {
        CamelContext camel = context.camel();
        // Each Emarsys destination creates its contact lists under locks every bridge sharing the state database respects.
        ClusterLocks locks = new ClusterLocks(context.stateStore());
        context.connectors().values().forEach(connector -> {
            if (connector instanceof EmarsysConnector emarsys) {
                emarsys.useLocks(locks);
            }
        });
        DestinationSettings destination = new DestinationSettings(name(), context.settings());
        // Emarsys' own auth is reused (one OAuth2 token) when Emarsys is a destination.
        Optional<EmarsysAuth> auth = context.connectors().get(name()) instanceof EmarsysConnector connector
                ? connector.auth(destination)
                : EmarsysAuth.from(destination, context.transport(), Clock.systemUTC());
        if (auth.orElse(null) instanceof WsseAuth) {
            warnings(camel).configuration(WSSE_SUNSET);
        }
        BackfillClock clock = Optional.ofNullable(camel.getRegistry().lookupByNameAndType(EngagementBackfill.CLOCK_BEAN,
                BackfillClock.class)).orElse(BackfillClock.SYSTEM);
        EngagementBackfill backfill = EngagementBackfill.create(context.runs(), context.settings(), auth, context.transport(),
                context.stateStore(), () -> context.reports("Emarsys", EngagementBackfill.ENDPOINT), clock);
        OptInFeed feed = OptInFeed.create(context.runs(), context.settings(), auth, context.transport(), context.stateStore(),
                () -> context.reports("Emarsys", OptInFeed.ENDPOINT), clock);
        camel.getRegistry().bind(EngagementBackfill.BEAN, backfill);
        camel.getRegistry().bind(OptInFeed.BEAN, feed);
        if (context.runs()) {
            // Vendors are configured after the broker and the state store, so these stop before them and a run they
            // interrupt can still finish cleanly.
            camel.addService(backfill, true, true);
            camel.addService(feed, true, true);
            // Camel's graceful stop waits for the routes' runs in progress, up to the shutdown timeout, before it stops
            // these services: a run waiting for an export or out the query interval held every stop for the whole
            // timeout. They stop when the stop begins instead; the run they interrupt is asked for again after a restart.
            ContextEvents.listen(camel, event -> {
                if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                    ServiceHelper.stopService(feed, backfill);
                }
            });
        }
    }

    private static RouteWarnings warnings(CamelContext camel) {
        return camel.getRegistry().lookupByNameAndType(RouteWarnings.BEAN, RouteWarnings.class);
    }

    @Override
    public Optional<Backfill> backfill() {
        return Optional.of(new BackfillCommand());
    }
}
