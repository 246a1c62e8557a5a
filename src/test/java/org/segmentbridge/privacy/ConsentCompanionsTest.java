package org.segmentbridge.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.PrivacyServices;
import org.segmentbridge.support.TestFolders;

/**
 * A platform reports an unsubscribe as an identify and a track, stored as one record: when one of them changes the
 * person's consent, both go on to every destination. A second report of the same unsubscribe changes nothing, and
 * stays behind also when the processor reads both reports in one batch. (It did not: the screening let every signal
 * of a person whose consent changed in the batch through, and Segment got the second report's two events too. The
 * end-to-end PrivacyTest failed on it now and then, when its two Iterable webhooks were processed together.)
 */
class ConsentCompanionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StateStore store;
    private Privacy privacy;

    @BeforeEach
    void start() throws Exception {
        store = new StateStore(TestFolders.create("consent-companions-"));
        store.start();
        privacy = PrivacyServices.on(store).privacy();
    }

    @AfterEach
    void stop() {
        store.stop();
    }

    @Test
    void aSecondReportOfTheSameUnsubscribeInOneBatchChangesNothing() throws Exception {
        ObjectNode firstIdentify = unsubscribeIdentify("first");
        ObjectNode firstTrack = unsubscribeTrack("first");
        ObjectNode againIdentify = unsubscribeIdentify("again");
        ObjectNode againTrack = unsubscribeTrack("again");
        Map<ObjectNode, String> records = new IdentityHashMap<>();
        records.put(firstIdentify, "record-1");
        records.put(firstTrack, "record-1");
        records.put(againIdentify, "record-2");
        records.put(againTrack, "record-2");

        Privacy.Screening screening = screenInOneBatch(List.of(firstIdentify, firstTrack, againIdentify, againTrack), records);

        assertThat(screening.changesConsent(firstIdentify)).as("the report that changed the consent").isTrue();
        assertThat(screening.changesConsent(firstTrack)).as("its companion travels with it").isTrue();
        assertThat(screening.changesConsent(againIdentify)).as("the same report again").isFalse();
        assertThat(screening.changesConsent(againTrack)).isFalse();
        assertThat(screening.carriesConsent(againTrack)).as("it still carries the signal").isTrue();
    }

    @Test
    void aLaterReportThatChangesTheConsentBackTravelsWithItsCompanion() throws Exception {
        ObjectNode out = unsubscribeIdentify("out");
        ObjectNode backIdentify = event("""
                {"type":"identify","messageId":"iterable-back-identify","anonymousId":"email:x",
                 "traits":{"email":"twice@example.com","unsubscribed":false},
                 "context":{"traits":{"email":"twice@example.com"},"integration":{"name":"iterable"}},
                 "timestamp":"2026-11-20T10:05:00Z"}""");
        ObjectNode backTrack = event("""
                {"type":"track","event":"Subscribed","messageId":"iterable-back-track","anonymousId":"email:x",
                 "context":{"traits":{"email":"twice@example.com"},"integration":{"name":"iterable"}},
                 "timestamp":"2026-11-20T10:05:00Z"}""");
        Map<ObjectNode, String> records = new IdentityHashMap<>();
        records.put(out, "record-1");
        records.put(backIdentify, "record-2");
        records.put(backTrack, "record-2");

        Privacy.Screening screening = screenInOneBatch(List.of(out, backIdentify, backTrack), records);

        assertThat(screening.changesConsent(out)).isTrue();
        assertThat(screening.changesConsent(backIdentify)).as("a change of its own").isTrue();
        assertThat(screening.changesConsent(backTrack)).isTrue();
    }

    /** The events screened as the processor screens a batch: in one transaction, each with its record. */
    private Privacy.Screening screenInOneBatch(List<ObjectNode> batch, Map<ObjectNode, String> records) throws Exception {
        try (Connection transaction = store.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            Privacy.Screening screening = privacy.screen(transaction, batch, records::get, Instant.now());
            transaction.commit();
            return screening;
        }
    }

    private static ObjectNode unsubscribeIdentify(String report) throws Exception {
        return event("""
                {"type":"identify","messageId":"iterable-%s-identify","anonymousId":"email:x",
                 "traits":{"email":"twice@example.com","unsubscribed":true},
                 "context":{"traits":{"email":"twice@example.com"},"integration":{"name":"iterable"}},
                 "timestamp":"2026-11-20T10:00:00Z"}""".formatted(report));
    }

    private static ObjectNode unsubscribeTrack(String report) throws Exception {
        return event("""
                {"type":"track","event":"Unsubscribed","messageId":"iterable-%s-track","anonymousId":"email:x",
                 "context":{"traits":{"email":"twice@example.com"},"integration":{"name":"iterable"}},
                 "timestamp":"2026-11-20T10:00:00Z"}""".formatted(report));
    }

    private static ObjectNode event(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }
}
