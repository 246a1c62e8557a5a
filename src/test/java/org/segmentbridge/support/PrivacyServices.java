package org.segmentbridge.support;

import java.util.List;
import java.util.Set;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.ConsentChanges;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.privacy.PrivacyAudit;
import org.segmentbridge.privacy.SuppressionStore;
import org.segmentbridge.state.StateStore;

/**
 * The identity store and the privacy services on one state store, wired as the bridge wires them by default (persons
 * keyed by email), for tests of the processor's parts without a whole bridge.
 */
public record PrivacyServices(IdentityStore identity, Privacy privacy) {

    public static PrivacyServices on(StateStore store) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        IdentityStore identity = new IdentityStore(store, List.of("$.traits.email", "$.context.traits.email"));
        SuppressionStore suppressions = new SuppressionStore(store);
        Erasures erasures = new Erasures(identity, suppressions, new PrivacyAudit(store), List.of(identity, suppressions),
                "context.traits.email", meters);
        return new PrivacyServices(identity, new Privacy(store, new ConsentChanges(identity, suppressions, meters, Set.of("operator")), erasures));
    }
}
