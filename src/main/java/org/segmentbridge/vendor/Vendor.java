package org.segmentbridge.vendor;

import java.util.Optional;

import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.intake.VendorIntake;

/**
 * A vendor the bridge connects Segment with. Everything of one vendor lives in its own package, which names its
 * {@code Vendor} in {@code META-INF/services/org.segmentbridge.vendor.Vendor}; the bridge finds it there
 * ({@link Vendors}), so the core names no vendor. Only {@link #name()} and {@link #connector()} are required: a
 * vendor that reports nothing back and pulls nothing needs nothing else.
 */
public interface Vendor {

    /**
     * Lower case, e.g. {@code sailthru}: the destination of this name is served by this vendor's connector, and the
     * events it reports carry it as their origin ({@code context.integration.name}).
     */
    String name();

    /** A new connector for one destination of this vendor (each destination keeps its own lookups and caches). */
    Connector connector();

    /**
     * The endpoints through which it reports about people (postbacks, system webhooks), served in a running bridge
     * by the intake, which authenticates nothing itself: each endpoint checks its own credentials, read here.
     */
    default void serve(VendorIntake intake, SettingsReader settings) {
    }

    /**
     * Wires whatever else it runs (a scheduled pull of what it reports to no one), once the core is wired, in every
     * mode: {@code check} builds the routes that use it.
     */
    default void configure(VendorContext context) throws Exception {
    }

    /** The {@code backfill <vendor>} command, for a vendor whose engagement is pulled rather than pushed. */
    default Optional<Backfill> backfill() {
        return Optional.empty();
    }
}
