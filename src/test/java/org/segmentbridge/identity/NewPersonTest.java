package org.segmentbridge.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.TestFolders;

/**
 * An event whose ids name nobody yet creates its person in one go (the person with its key, a row per id): what the
 * store holds afterwards, and which persons the processor is told became keyed, are those of the general path.
 */
class NewPersonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StateStore store;
    private IdentityStore identity;

    @BeforeEach
    void start() throws Exception {
        store = new StateStore(TestFolders.create("new-person-"));
        store.start();
        identity = new IdentityStore(store, List.of("$.traits.email"));
    }

    @AfterEach
    void stop() {
        store.stop();
    }

    private Set<String> observe(String... events) throws Exception {
        List<ObjectNode> parsed = new ArrayList<>();
        for (String event : events) {
            parsed.add((ObjectNode) JSON.readTree(event));
        }
        return identity.observeAll(parsed, Instant.now());
    }

    /** Every row of the query, its columns joined by spaces, read without the identity store. */
    private List<String> rows(String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(sql);
             ResultSet row = query.executeQuery()) {
            int columns = row.getMetaData().getColumnCount();
            while (row.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    values.add(String.valueOf(row.getString(i)));
                }
                rows.add(String.join(" ", values));
            }
        }
        return rows;
    }

    /** The one person the store holds, with this key and linked from u-1 and a-1 alone; their id. */
    private String theOnePersonOfU1AndA1(String key) throws Exception {
        List<String> persons = rows("SELECT id, primary_key FROM person");
        assertThat(persons).hasSize(1);
        String person = persons.get(0).split(" ")[0];
        assertThat(persons.get(0)).isEqualTo(person + " " + key);
        assertThat(rows("SELECT kind, identifier, person_id FROM person_identifier ORDER BY kind"))
                .containsExactly("anonymous a-1 " + person, "user u-1 " + person);
        return person;
    }

    @Test
    void aNewPersonWithAKeyIsStoredWithItAndReportedAsKeyed() throws Exception {
        Set<String> keyed = observe("{\"type\":\"identify\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"anonymousId\":\"a-1\","
                + "\"traits\":{\"email\":\"ann@example.com\"}}");

        String ann = theOnePersonOfU1AndA1("ann@example.com");
        assertThat(keyed).as("their key became known: held events may go").containsExactly(ann);
        assertThat(identity.find("u-1", null)).hasValueSatisfying(person -> {
            assertThat(person.id()).isEqualTo(ann);
            assertThat(person.primaryKey()).contains("ann@example.com");
        });
    }

    @Test
    void aNewPersonWithoutAKeyIsNotReportedAsKeyedUntilTheKeyComes() throws Exception {
        assertThat(observe("{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-1\",\"anonymousId\":\"a-1\"}")).isEmpty();
        String visitor = rows("SELECT id FROM person").get(0);
        assertThat(rows("SELECT primary_key FROM person")).containsExactly("null");

        assertThat(observe("{\"type\":\"identify\",\"messageId\":\"m-2\",\"anonymousId\":\"a-1\","
                + "\"traits\":{\"email\":\"ann@example.com\"}}")).containsExactly(visitor);
        assertThat(rows("SELECT id, primary_key FROM person")).containsExactly(visitor + " ann@example.com");
    }

    @Test
    void aNewPersonsLaterEventsInTheSameBatchJoinThemInsteadOfCreatingThemAgain() throws Exception {
        Set<String> keyed = observe(
                "{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-1\",\"anonymousId\":\"a-1\"}",
                "{\"type\":\"identify\",\"messageId\":\"m-2\",\"userId\":\"u-1\",\"anonymousId\":\"a-1\","
                        + "\"traits\":{\"email\":\"ann@example.com\"}}",
                "{\"type\":\"track\",\"event\":\"Viewed\",\"messageId\":\"m-3\",\"userId\":\"u-1\"}");

        String ann = theOnePersonOfU1AndA1("ann@example.com");
        assertThat(keyed).containsExactly(ann);
    }
}
