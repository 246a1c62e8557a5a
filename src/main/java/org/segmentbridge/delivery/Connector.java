package org.segmentbridge.delivery;

import java.util.Set;

/**
 * One vendor's machinery: its actions, its authentication and how to read its rate-limit signals. A connector is
 * bound in the Camel registry under the name of the destination it serves (e.g. {@code emarsys}); its vendor makes
 * one for each destination ({@code org.segmentbridge.vendor.Vendor#connector}).
 */
public interface Connector {

    /** The connector's actions by name. */
    Actions actions();

    /** @throws IllegalArgumentException naming the known actions when there is no such action */
    default Action action(String name) {
        return actions().get(name);
    }

    default Set<String> actionNames() {
        return actions().names();
    }

    /**
     * Where the vendor's API is: the destination's {@code base-url}. A vendor whose API address depends on other
     * settings (Emarsys: the auth in use) works it out here.
     */
    default java.net.URI baseUrl(DestinationSettings settings) {
        return settings.baseUrl();
    }

    /** Without credentials a destination runs in dry-run: requests are built and recorded, never sent. */
    boolean hasCredentials(DestinationSettings settings);

    /** Which credential a request spends, so destinations sharing one credential share its rate limit. */
    String credentialId(DestinationSettings settings);

    /**
     * Adds authentication to a request, once per attempt (a signature with a fresh nonce each time). The headers it
     * adds are listed by {@link #secretHeaders()} so they can be masked wherever a request is shown.
     */
    OutboundRequest authorize(OutboundRequest request, DestinationSettings settings);

    /**
     * The transport the connector's own calls (name lookups, tokens ...) go through, paced and counted like
     * deliveries; handed over once, before any request is built. A connector without such calls ignores it.
     */
    default void useTransport(VendorTransport transport) {
    }

    /** Header names whose values are secrets (masked in dry-run records and logs). */
    Set<String> secretHeaders();

    /** The request as it may be shown (dry-run records, {@code try}): secrets masked, wherever the vendor carries them. */
    default OutboundRequest masked(OutboundRequest request) {
        return request.masked(secretHeaders());
    }
}
