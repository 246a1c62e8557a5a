package org.segmentbridge.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * Who is who, with several bridges on one PostgreSQL database (cluster mode): what one bridge's delivery asked the
 * identity store must not be answered from memory once another bridge has merged, moved or erased the person, and a
 * {@code once:} rule keyed by the person must not see one person as two.
 */
class SharedIdentityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SharedStateDatabase database = SharedStateDatabase.postgresql();

    @AfterEach
    void close() {
        database.close();
    }

    private record Bridge(StateStore store, IdentityStore identity, ThresholdCrossings crossings) {
        static Bridge on(StateStore store) {
            IdentityStore identity = new IdentityStore(store, List.of("$.traits.email", "$.context.traits.email"));
            return new Bridge(store, identity, new ThresholdCrossings(store, identity));
        }

        void observe(String json) throws Exception {
            identity.observeAll(List.of((ObjectNode) JSON.readTree(json)), Instant.now());
        }
    }

    @Test
    void aMergeByAnotherBridgeIsSeenAtOnceAndAOnceRuleFiresOnce() throws Exception {
        Bridge a = Bridge.on(database.newStore());
        Bridge b = Bridge.on(database.newStore());
        // A visitor who gave their email, and a signed-in user not yet known to be the same person.
        a.observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"anonymousId\":\"anon-1\",\"traits\":{\"email\":\"ann@example.com\"}}");
        a.observe("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-2\",\"userId\":\"u-1\"}");
        String visitor = a.identity.find(null, "anon-1").orElseThrow().id();
        String user = b.identity.personIdOf("u-1", null).orElseThrow();
        assertThat(user).as("B's delivery asked about u-1").isNotEqualTo(visitor);

        // A learns they are one person: the user's row is merged into the visitor's (the one with the key).
        a.observe("{\"type\":\"identify\",\"messageId\":\"m-3\",\"userId\":\"u-1\",\"anonymousId\":\"anon-1\"}");

        assertThat(b.identity.personIdOf("u-1", null)).as("B, at once").contains(visitor);
        // An onboarding journey started once per person: A fires it for the visitor, B must not for the user.
        assertThat(a.crossings.moved("welcome", null, "anon-1", true)).isTrue();
        assertThat(b.crossings.moved("welcome", "u-1", null, true)).as("the same person, seen by B").isFalse();
    }

    @Test
    void anIdentifierMovedByAnotherBridgeIsSeenAtOnce() throws Exception {
        Bridge a = Bridge.on(database.newStore());
        Bridge b = Bridge.on(database.newStore());
        a.observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"anonymousId\":\"shared-device\",\"traits\":{\"email\":\"ann@example.com\"}}");
        a.observe("{\"type\":\"identify\",\"messageId\":\"m-2\",\"userId\":\"u-2\",\"traits\":{\"email\":\"bob@example.com\"}}");
        String ann = b.identity.personIdOf(null, "shared-device").orElseThrow();

        // Bob signs in on Ann's device: the anonymousId moves to Bob's person.
        a.observe("{\"type\":\"identify\",\"messageId\":\"m-3\",\"userId\":\"u-2\",\"anonymousId\":\"shared-device\"}");

        String bob = a.identity.find("u-2", null).orElseThrow().id();
        assertThat(bob).isNotEqualTo(ann);
        assertThat(b.identity.personIdOf(null, "shared-device")).contains(bob);
    }

    @Test
    void aPersonErasedByAnotherBridgeIsNoLongerAnswered() throws Exception {
        Bridge a = Bridge.on(database.newStore());
        Bridge b = Bridge.on(database.newStore());
        a.observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@example.com\"}}");
        String ann = b.identity.personIdOf("u-1", null).orElseThrow();

        try (Connection transaction = a.store.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            a.identity.erase(transaction, a.identity.everythingAbout(transaction,
                    new PersonKeys(java.util.Set.of(ann), java.util.Set.of(), java.util.Set.of("u-1"), java.util.Set.of())));
            transaction.commit();
        }

        assertThat(b.identity.personIdOf("u-1", null)).isEmpty();
    }

    /** The embedded file is this process's alone: there the memory stays (delivery asks for every event). */
    @Test
    void onlyTheEmbeddedFileCountsAsThisProcesssOwn() {
        assertThat(database.newStore().ownedByThisProcess()).isFalse();
        assertThat(new StateStore(java.nio.file.Path.of("unused")).ownedByThisProcess()).isTrue();
    }
}
