package org.segmentbridge.iterable;

import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.intake.VendorIntake;
import org.segmentbridge.vendor.Vendor;

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

    @Override
    public void serve(VendorIntake intake, SettingsReader settings) {
        IterableWebhook.serve(intake, settings);
    }
}
