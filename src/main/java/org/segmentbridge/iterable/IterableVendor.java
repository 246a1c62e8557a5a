package org.segmentbridge.iterable;

import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.intake.VendorIntake;
import org.segmentbridge.state.ClusterLocks;
import org.segmentbridge.vendor.Vendor;
import org.segmentbridge.vendor.VendorContext;

/** Iterable: users, events, commerce, subscriptions and erasure out; its system webhooks to {@code /webhooks/iterable} in. */
public final class IterableVendor implements Vendor {

    @Override
    public String name() {
        return "iterable";
    }

    @Override
    public Connector connector() {
        return new IterableConnector();
    }

    /** Each Iterable destination creates its lists under locks every bridge sharing the state database respects. */
    @Override
    public void configure(VendorContext context) {
        ClusterLocks locks = new ClusterLocks(context.stateStore());
        context.connectors().values().forEach(connector -> {
            if (connector instanceof IterableConnector iterable) {
                iterable.useLocks(locks);
            }
        });
    }

    @Override
    public void serve(VendorIntake intake, SettingsReader settings) {
        IterableWebhook.serve(intake, settings);
    }
}
