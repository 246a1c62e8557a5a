package org.segmentbridge.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.queue.IntakeLog;

/**
 * A platform's report names its person by email, and the processor files it under the userId the identity store knows
 * for that email. The identify that makes the email known can sit in the same processor batch as the report: a sender
 * identifies a person and a postback about them follows at once, or the processor reads a backlog. The report is
 * attributed as if the batch were read one event at a time. (It was not: every report of a batch was attributed before
 * any identity of the batch was linked, so such a report went to Segment under an anonymous id, and
 * SailthruPostbackIntakeTest failed whenever its identify and postback were processed together.)
 */
class ReportAttributionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-04T15:00:00Z");

    private ProcessorOnStore onStore;
    private EventProcessor processor;

    @BeforeEach
    void start() throws Exception {
        onStore = ProcessorOnStore.start("report-attribution-", Optional.of("segment"));
        processor = onStore.processor();
    }

    @AfterEach
    void stop() {
        onStore.close();
    }

    @Test
    void aReportAfterTheIdentifyOfItsEmailInTheSameBatchGetsTheUserId() throws Exception {
        ObjectNode report = opened("after", "known@example.com");

        processor.process(List.of(event("r1", identify("user-1", "known@example.com")), report("r2", report)));

        assertThat(report.path("userId").asText()).isEqualTo("user-1");
        assertThat(report.has("anonymousId")).isFalse();
    }

    @Test
    void aReportBeforeTheIdentifyOfItsEmailStaysAnonymousAsItWasWhenItCame() throws Exception {
        ObjectNode report = opened("before", "later@example.com");

        processor.process(List.of(report("r1", report), event("r2", identify("user-2", "later@example.com"))));

        assertThat(report.has("userId")).isFalse();
        assertThat(report.path("anonymousId").asText()).isEqualTo("email:before");
    }

    @Test
    void aReportOfAnEmailIdentifiedInAnEarlierBatchGetsTheUserId() throws Exception {
        processor.process(List.of(event("r1", identify("user-3", "earlier@example.com"))));
        ObjectNode report = opened("next-batch", "earlier@example.com");

        processor.process(List.of(report("r2", report)));

        assertThat(report.path("userId").asText()).isEqualTo("user-3");
    }

    @Test
    void aRunOfReportsAfterAnIdentifyAllGetTheUserId() throws Exception {
        ObjectNode first = opened("run-1", "run@example.com");
        ObjectNode second = opened("run-2", "run@example.com");

        processor.process(List.of(event("r1", identify("user-4", "run@example.com")), report("r2", first), report("r3", second)));

        assertThat(first.path("userId").asText()).isEqualTo("user-4");
        assertThat(second.path("userId").asText()).isEqualTo("user-4");
    }

    private static ObjectNode identify(String userId, String email) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type":"identify","messageId":"identify-%s","userId":"%s","traits":{"email":"%s"}}"""
                .formatted(userId, userId, email));
    }

    /** What a platform reports: the person by email alone, under an anonymous id made from it. */
    private static ObjectNode opened(String name, String email) throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"type":"track","messageId":"sailthru-%s","anonymousId":"email:%s","event":"Email Opened",
                 "context":{"traits":{"email":"%s"},"integration":{"name":"sailthru"}},"integrations":{"Sailthru":false}}"""
                .formatted(name, name, email));
    }

    private static IntakeLog.Logged event(String record, ObjectNode event) {
        return new IntakeLog.Logged(record + "#0", event, "tracking-api", IntakeLog.Kind.EVENT, NOW);
    }

    private static IntakeLog.Logged report(String record, ObjectNode event) {
        return new IntakeLog.Logged(record + "#0", event, "sailthru-postback", IntakeLog.Kind.REPORT, NOW);
    }
}
