package org.segmentbridge.vendor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.FakeVendor;

/** The vendors are found on the class path, and a destination finds its vendor by its name or by setting. */
class VendorsTest {

    private static final Vendors VENDORS = Vendors.discovered();

    @Test
    void theShippedVendorsAreFoundEachWithItsConnectorInItsOwnPackage() {
        assertThat(VENDORS.names()).contains("emarsys", "iterable", "sailthru", "segment");
        for (Vendor vendor : VENDORS.all()) {
            assertThat(vendor.connector().getClass().getPackageName()).as(vendor.name())
                    .isEqualTo(vendor.getClass().getPackageName());
        }
    }

    @Test
    void onlyEmarsysOffersABackfill() {
        assertThat(VENDORS.backfills()).containsOnlyKeys("emarsys");
    }

    @Test
    void aDestinationIsServedByTheVendorOfItsNameOrTheOneItsSettingNames() {
        assertThat(VENDORS.serving("iterable", settings(Map.of()))).map(Vendor::name).contains("iterable");
        assertThat(VENDORS.serving("iterable-eu", settings(Map.of()))).isEmpty();
        assertThat(VENDORS.serving("iterable-eu", settings(Map.of("bridge.destination.iterable-eu.vendor", "iterable"))))
                .map(Vendor::name).contains("iterable");
        assertThat(VENDORS.serving("test", settings(Map.of("bridge.destination.test.vendor", FakeVendor.NAME))))
                .map(Vendor::name).contains(FakeVendor.NAME);
    }

    @Test
    void aSettingThatNamesNoVendorOrTheRetiredConnectorClassStopsTheStartNamingIt() {
        assertThatThrownBy(() -> VENDORS.serving("eu", settings(Map.of("bridge.destination.eu.vendor", "iterabel"))))
                .hasMessageStartingWith("Setting bridge.destination.eu.vendor: no vendor is named 'iterabel'; the vendors are [")
                .hasMessageContaining("iterable");
        assertThatThrownBy(() -> VENDORS.serving("eu", settings(Map.of("bridge.destination.eu.connector",
                "org.segmentbridge.iterable.IterableConnector"))))
                .hasMessageStartingWith("Setting bridge.destination.eu.connector is no longer read")
                .hasMessageContaining("bridge.destination.eu.vendor");
    }

    private static SettingsReader settings(Map<String, String> values) {
        DefaultCamelContext context = new DefaultCamelContext();
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(values);
        context.getPropertiesComponent().setInitialProperties(properties);
        return new SettingsReader(context.getPropertiesComponent());
    }
}
