package org.segmentbridge.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.TestFolders;

/**
 * On the embedded store, which only this process changes, the persons the processor links are remembered as it commits
 * them: every destination then orders the event by its person without asking the store.
 */
class RememberedPersonsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StateStore store;
    private IdentityStore identity;

    @BeforeEach
    void start() throws Exception {
        store = new StateStore(TestFolders.create("remembered-persons-"));
        store.start();
        identity = new IdentityStore(store, List.of("$.traits.email"));
    }

    @AfterEach
    void stop() {
        store.stop();
    }

    private void observe(String... events) throws Exception {
        List<ObjectNode> parsed = new java.util.ArrayList<>();
        for (String event : events) {
            parsed.add((ObjectNode) JSON.readTree(event));
        }
        identity.observeAll(parsed, Instant.now());
    }

    /** The person the store links an identifier to, read without the identity store (which would remember it). */
    private String personInStore(String kind, String identifier) throws Exception {
        return readOne(kind + " " + identifier + " is linked",
                "SELECT person_id FROM person_identifier WHERE kind = ? AND identifier = ?", kind, identifier);
    }

    /** The one row's value the query finds in the store, read without the identity store. */
    private String readOne(String found, String sql, String... parameters) throws Exception {
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setString(i + 1, parameters[i]);
            }
            try (java.sql.ResultSet row = query.executeQuery()) {
                assertThat(row.next()).as(found).isTrue();
                return row.getString(1);
            }
        }
    }

    /** Moves an identifier to another person behind the identity store's back, as no bridge ever does. */
    private void moveBehindTheStoresBack(String kind, String identifier, String person) throws Exception {
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement move = connection.prepareStatement(
                     "UPDATE person_identifier SET person_id = ? WHERE kind = ? AND identifier = ?")) {
            move.setString(1, person);
            move.setString(2, kind);
            move.setString(3, identifier);
            assertThat(move.executeUpdate()).isEqualTo(1);
        }
    }

    @Test
    void whatTheProcessorLinkedIsAnsweredFromMemory() throws Exception {
        observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"anonymousId\":\"a-1\",\"traits\":{\"email\":\"ann@example.com\"}}",
                "{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-2\",\"userId\":\"u-2\"}");
        String ann = personInStore("user", "u-1");
        String other = personInStore("user", "u-2");
        assertThat(ann).isNotEqualTo(other);
        moveBehindTheStoresBack("user", "u-1", other);
        moveBehindTheStoresBack("anonymous", "a-1", other);

        assertThat(identity.personIdOf("u-1", null)).as("remembered as linked").contains(ann);
        assertThat(identity.personIdOf(null, "a-1")).as("remembered as linked").contains(ann);
        identity.forgetRemembered();
        assertThat(identity.personIdOf("u-1", null)).as("read again once forgotten").contains(other);
    }

    @Test
    void aReturningPersonsIdsAreRememberedTooAndAMergeRemembersNothing() throws Exception {
        observe("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-1\",\"userId\":\"u-1\"}");
        String person = personInStore("user", "u-1");
        identity.forgetRemembered();
        // Nothing to write for a returning person: the batch still remembers who they are.
        observe("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-2\",\"userId\":\"u-1\"}");
        observe("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-3\",\"userId\":\"u-9\"}");
        String other = personInStore("user", "u-9");
        moveBehindTheStoresBack("user", "u-1", other);
        assertThat(identity.personIdOf("u-1", null)).contains(person);

        // A batch that merges two persons forgets, and remembers nothing it saw meanwhile.
        identity.forgetRemembered();
        moveBehindTheStoresBack("user", "u-1", person);
        observe("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-4\",\"anonymousId\":\"a-4\"}",
                "{\"type\":\"identify\",\"messageId\":\"m-5\",\"userId\":\"u-9\",\"anonymousId\":\"a-4\"}");
        moveBehindTheStoresBack("anonymous", "a-4", person);
        assertThat(identity.personIdOf(null, "a-4")).as("read after the merge, not remembered from it").contains(person);
    }

    /** The person's primary key as the store has it, read without the identity store. */
    private String keyInStore(String person) throws Exception {
        return readOne("person " + person + " exists", "SELECT primary_key FROM person WHERE id = ?", person);
    }

    @Test
    void aReturningPersonWithTheirOwnKeyPassesFromMemoryWithoutReadingTheStore() throws Exception {
        observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@example.com\"}}",
                "{\"type\":\"identify\",\"messageId\":\"m-2\",\"userId\":\"u-2\"}");
        String ann = personInStore("user", "u-1");
        String other = personInStore("user", "u-2");
        moveBehindTheStoresBack("user", "u-1", other);

        // Read from the store, u-1 would now be the other person, whom this key would be written to.
        observe("{\"type\":\"identify\",\"messageId\":\"m-3\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@example.com\"}}");
        assertThat(keyInStore(other)).as("nothing read, nothing written").isNull();
        assertThat(identity.personIdOf("u-1", null)).contains(ann);

        // Another key is a change: the store is read (and the key written to whom it finds).
        observe("{\"type\":\"identify\",\"messageId\":\"m-4\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@work.example\"}}");
        assertThat(keyInStore(other)).isEqualTo("ann@work.example");
    }

    @Test
    void aKeyChangedEarlierInTheBatchIsNotPassedOnFromMemory() throws Exception {
        observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@example.com\"}}");
        String ann = personInStore("user", "u-1");
        observe("{\"type\":\"identify\",\"messageId\":\"m-2\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@work.example\"}}",
                "{\"type\":\"identify\",\"messageId\":\"m-3\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@example.com\"}}");
        assertThat(keyInStore(ann)).as("the batch's last key, as without any memory").isEqualTo("ann@example.com");

        // Once committed, the new key is what is remembered.
        observe("{\"type\":\"identify\",\"messageId\":\"m-4\",\"userId\":\"u-1\",\"traits\":{\"email\":\"ann@work.example\"}}");
        assertThat(keyInStore(ann)).isEqualTo("ann@work.example");
    }
}
