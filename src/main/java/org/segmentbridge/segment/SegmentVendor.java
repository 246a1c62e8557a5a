package org.segmentbridge.segment;

import org.segmentbridge.delivery.Connector;
import org.segmentbridge.vendor.Vendor;

/**
 * Segment as a destination: what the other vendors reported goes back to it (back-flow). Segment as the source is
 * the intake itself ({@code /v1/*}, {@code /webhooks/segment}), the bridge's fixed contract.
 */
public final class SegmentVendor implements Vendor {

    @Override
    public String name() {
        return "segment";
    }

    @Override
    public Connector connector() {
        return new SegmentConnector();
    }
}
