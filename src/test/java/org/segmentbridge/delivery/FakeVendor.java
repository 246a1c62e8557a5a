package org.segmentbridge.delivery;

import org.segmentbridge.vendor.Vendor;

/**
 * The test suite's vendor, found on the test class path like any other: a destination of any name uses it with
 * {@code bridge.destination.<name>.vendor = fake}.
 */
public final class FakeVendor implements Vendor {

    public static final String NAME = "fake";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Connector connector() {
        return new FakeVendorConnector();
    }
}
