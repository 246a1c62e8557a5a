package org.segmentbridge.sailthru;

import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.intake.VendorIntake;
import org.segmentbridge.vendor.Vendor;

/** Sailthru: users, custom events, purchases and deletes out; its postbacks to {@code /webhooks/sailthru} in. */
public final class SailthruVendor implements Vendor {

    static final String NAME = "sailthru";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Connector connector() {
        return new SailthruConnector();
    }

    /** Postbacks are signed with the API secret of the destination named {@code sailthru}, and carry its API key. */
    @Override
    public void serve(VendorIntake intake, SettingsReader settings) {
        SailthruPostback.serve(intake, new SailthruSignature(settings.optional("bridge.destination." + NAME + ".api-key"),
                settings.optional("bridge.destination." + NAME + ".api-secret")));
    }
}
