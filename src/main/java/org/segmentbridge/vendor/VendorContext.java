package org.segmentbridge.vendor;

import java.util.Map;

import org.apache.camel.CamelContext;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.state.StateStore;

/** What the bridge gives a vendor to wire itself with ({@link Vendor#configure}). */
public final class VendorContext {

    /** Makes the store of a vendor's reports that arrive other than over HTTP. */
    @FunctionalInterface
    public interface ReportStores {
        VendorReports reports(String vendor, String receivedVia);
    }

    private final CamelContext camel;
    private final SettingsReader settings;
    private final boolean runs;
    private final StateStore stateStore;
    private final Map<String, Connector> connectors;
    private final VendorTransport transport;
    private final ReportStores reports;

    public VendorContext(CamelContext camel, SettingsReader settings, boolean runs, StateStore stateStore,
                         Map<String, Connector> connectors, VendorTransport transport, ReportStores reports) {
        this.camel = camel;
        this.settings = settings;
        this.runs = runs;
        this.stateStore = stateStore;
        this.connectors = connectors;
        this.transport = transport;
        this.reports = reports;
    }

    /** The context being configured: a vendor binds its beans and adds its services here. */
    public CamelContext camel() {
        return camel;
    }

    public SettingsReader settings() {
        return settings;
    }

    /**
     * True in a running bridge and in the backfill command, which hold the data folder; false in {@code check} and
     * {@code try}, where nothing the vendor wires may run.
     */
    public boolean runs() {
        return runs;
    }

    public StateStore stateStore() {
        return stateStore;
    }

    /** The delivery engine's connectors by destination, so a vendor's other calls can share one's credentials. */
    public Map<String, Connector> connectors() {
        return connectors;
    }

    /** The one way to call a vendor's API, paced by its credential and counted (see {@link VendorTransport}). */
    public VendorTransport transport() {
        return transport;
    }

    /**
     * Where reports that arrive other than over HTTP (a scheduled pull) are stored, exactly as the intake stores a
     * postback: the same identity, origin marker, dedupe and transaction.
     *
     * @param vendor      the vendor as Segment's {@code integrations} object names it, e.g. {@code Emarsys}
     * @param receivedVia the label of the stored events ({@code receivedVia}) and of the intake metrics
     */
    public VendorReports reports(String vendor, String receivedVia) {
        return reports.reports(vendor, receivedVia);
    }
}
