package org.segmentbridge.emarsys;

import java.util.Optional;

import org.apache.camel.CamelContext;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.vendor.Backfill;
import org.segmentbridge.vendor.Vendor;
import org.segmentbridge.vendor.VendorContext;

/**
 * Emarsys: contacts, lists and external events out. Emarsys reports engagement to no one, so it comes in through
 * the engagement backfill: scheduled by {@code routes/emarsys/engagement-backfill.yaml} (the bean
 * {@value EngagementBackfill#BEAN}) and run for a range by {@code backfill emarsys}.
 */
public final class EmarsysVendor implements Vendor {

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
        EngagementBackfill backfill = EngagementBackfill.create(context.runs(), context.settings(), context.connectors(),
                context.transport(), context.stateStore(), () -> context.reports("Emarsys", EngagementBackfill.ENDPOINT),
                Optional.ofNullable(camel.getRegistry().lookupByNameAndType(EngagementBackfill.CLOCK_BEAN, BackfillClock.class))
                        .orElse(BackfillClock.SYSTEM));
        camel.getRegistry().bind(EngagementBackfill.BEAN, backfill);
        if (context.runs()) {
            // Vendors are configured after the broker and the state store, so it stops before them and a run it
            // interrupts can still finish cleanly.
            camel.addService(backfill, true, true);
        }
    }

    @Override
    public Optional<Backfill> backfill() {
        return Optional.of(new BackfillCommand());
    }
}
