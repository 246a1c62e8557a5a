package org.segmentbridge.processor;

import java.time.Duration;
import java.util.Optional;

import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.PrivacyServices;
import org.segmentbridge.support.TestFolders;

/**
 * The processor's batch work on a fresh embedded state store, wired as the bridge wires it (privacy services, a
 * ledger with a day's window), without logs: for tests of what one {@link EventProcessor#process} call does.
 */
record ProcessorOnStore(StateStore store, EventProcessor processor) implements AutoCloseable {

    /** @param reportsDestination the destination that takes platforms' engagement reports, if any */
    static ProcessorOnStore start(String folderPrefix, Optional<String> reportsDestination) throws Exception {
        StateStore store = new StateStore(TestFolders.create(folderPrefix));
        store.start();
        PrivacyServices services = PrivacyServices.on(store);
        return new ProcessorOnStore(store, new EventProcessor(store, services.identity(), services.privacy(),
                new MessageLedger(store, Duration.ofHours(24)), services.messageMarks(), persons -> { }, reportsDestination));
    }

    @Override
    public void close() {
        store.stop();
    }
}
