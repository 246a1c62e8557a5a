package org.segmentbridge.support;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.ConsentChanges;
import org.segmentbridge.processor.MessageMarks;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.privacy.PrivacyAudit;
import org.segmentbridge.privacy.SuppressionStore;
import org.segmentbridge.state.StateStore;

/**
 * The identity store, the processor's marks and the privacy services on one state store, wired as the bridge wires
 * them by default (persons keyed by email, a dedupe window of a day), for tests of the processor's parts without a
 * whole bridge.
 */
public record PrivacyServices(IdentityStore identity, MessageMarks messageMarks, Privacy privacy) {

    public static PrivacyServices on(StateStore store) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        IdentityStore identity = new IdentityStore(store, List.of("$.traits.email", "$.context.traits.email"));
        SuppressionStore suppressions = new SuppressionStore(store);
        MessageMarks messageMarks = new MessageMarks(store, Duration.ofHours(24));
        Erasures erasures = new Erasures(identity, suppressions, new PrivacyAudit(store),
                List.of(identity, suppressions, messageMarks), "context.traits.email", meters);
        return new PrivacyServices(identity, messageMarks,
                new Privacy(store, new ConsentChanges(identity, suppressions, meters, Set.of("operator")), erasures));
    }
}
