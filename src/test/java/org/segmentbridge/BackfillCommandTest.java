package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.emarsys.EngagementBackfill;
import org.segmentbridge.support.EmarsysResponsesFake;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestStateDatabase;

/**
 * {@code backfill emarsys --from --to} as the command runs it: argument errors named, progress and a summary printed,
 * a second run resuming from the checkpoint, and a clear refusal while a bridge holds the data folder.
 */
class BackfillCommandTest {

    /** The destinations here are emarsys and segment only: the other vendors' shipped routes would not build. */
    private static final String BACKFILL_ROUTE = "file:routes/emarsys/engagement-backfill.yaml";

    private record Result(int exit, String output) {
    }

    private static Result backfill(List<String> args, Map<String, String> settings, Map<String, Object> beans) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = Tools.backfill(args, new PrintStream(bytes, true, StandardCharsets.UTF_8), settings, beans);
        return new Result(exit, bytes.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "                                                     | name the vendor to backfill: emarsys",
            "sailthru --from 2026-01-01 --to 2026-02-01           | cannot backfill 'sailthru': only emarsys is pulled",
            "emarsys --from 2026-01-01                            | --to is missing",
            "emarsys --to 2026-02-01                              | --from is missing",
            "emarsys --from --to 2026-02-01                       | --from needs a date",
            "emarsys --from 2026-13-01 --to 2026-02-01            | --from '2026-13-01' is not a date (yyyy-MM-dd, UTC) or an ISO-8601 instant",
            "emarsys --from 2026-01-01 --to 1st-feb               | --to '1st-feb' is not a date",
            "emarsys --from 2026-02-01 --to 2026-01-01            | --from 2026-02-01 must be before --to 2026-01-01",
            "emarsys --from 2026-01-01 --to 2026-02-01 --since 3  | unknown option '--since'",
            "emarsys --from 2026-01-01 --from 2026-01-02 --to 2026-02-01 | --from is given twice"})
    void badArgumentsAreNamedAndNothingStarts(String args, String problem) {
        List<String> arguments = args == null ? List.of() : List.of(args.trim().split("\\s+"));

        Result result = backfill(arguments, Map.of("bridge.data-dir", "/nonexistent/never-created"), Map.of());

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.output()).startsWith("backfill: " + problem)
                .contains("usage: java -jar segment-bridge.jar backfill emarsys --from 2026-01-01 --to 2026-02-01");
        assertThat(Path.of("/nonexistent/never-created")).doesNotExist();
    }

    @Test
    void aRangeIsQueuedWithProgressAndASecondRunResumesFromTheCheckpoint() throws Exception {
        Path dataDir = TestFolders.create("backfill-cli-");
        try (EmarsysResponsesFake fake = new EmarsysResponsesFake(Instant.parse("2026-02-10T00:00:00Z"))) {
            fake.contact("1001", "ann@example.com").contact("1002", "bob@example.com");
            fake.responses("opened", "2026-02-01", "1001", "1002").responses("clicked", "2026-02-01", "1002");
            fake.responses("opened", "2026-02-02", "1001").responses("clicked", "2026-02-02");
            Map<String, String> settings = new HashMap<>(fake.settings());
            settings.put("bridge.data-dir", dataDir.toString());
            settings.putAll(TestStateDatabase.settingsFor(dataDir));
            settings.put("bridge.destinations", "emarsys,segment");
            settings.put("camel.main.routesIncludePattern", BACKFILL_ROUTE);
            settings.put("bridge.emarsys.backfill.types", "opened,clicked");
            Map<String, Object> clock = Map.of(EngagementBackfill.CLOCK_BEAN, fake.clock);
            List<String> args = List.of("emarsys", "--from", "2026-02-01", "--to=2026-02-03");

            Result first = backfill(args, settings, clock);

            assertThat(first.exit()).as(first.output()).isZero();
            assertThat(first.output()).contains(
                    "backfill emarsys 2026-02-01T00:00:00Z .. 2026-02-03T00:00:00Z: 2 window(s) of 1d, 0 already queued "
                            + "by an earlier run; 2 left, 2 query(ies) each at one a minute (at least 4m 0s)",
                    "window 1/2 2026-02-01: 3 records, 3 events queued (0 without an email) | so far 3 records, 3 queued,",
                    "window 2/2 2026-02-02: 1 records, 1 events queued (0 without an email) | so far 4 records, 4 queued,",
                    "ETA 0s",
                    "backfill done: 2 window(s) of 2 read in this run, 4 records, 4 events queued for segment ("
                            + "0 contacts without an email)");
            assertThat(first.output()).containsPattern("window 1/2 .* [0-9.]+ records/min, ETA [0-9]+m [0-9]+s");
            assertThat(fake.requests("POST", EmarsysResponsesFake.RESPONSES)).hasSize(4);

            Result second = backfill(args, settings, clock);

            assertThat(second.exit()).as(second.output()).isZero();
            assertThat(second.output()).contains("2 already queued by an earlier run; 0 left",
                    "backfill done: 0 window(s) of 2 read in this run, 0 records, 0 events queued");
            assertThat(fake.requests("POST", EmarsysResponsesFake.RESPONSES)).as("nothing asked again").hasSize(4);

            // The bridge on the same folder finds the events queued for Segment, each once.
            try (RunningBridge bridge = RunningBridge.start(dataDir, Map.of("bridge.destinations", "emarsys,segment"))) {
                assertThat(bridge.queued("segment")).extracting(event -> event.body().path("event").asText() + " "
                                + event.body().path("context").path("traits").path("email").asText())
                        .containsExactlyInAnyOrder("Email Opened ann@example.com", "Email Opened bob@example.com",
                                "Email Link Clicked bob@example.com", "Email Opened ann@example.com");
                assertThat(bridge.queued("segment")).extracting(event -> event.body().path("messageId").asText())
                        .doesNotHaveDuplicates();
            }
        }
    }

    @Test
    void aRunningBridgeOnTheDataFolderIsNamedAndNothingIsTouched() throws Exception {
        try (EmarsysResponsesFake fake = new EmarsysResponsesFake(Instant.parse("2026-02-10T00:00:00Z"));
             RunningBridge bridge = RunningBridge.start(Map.of("bridge.destinations", "emarsys,segment"))) {
            Map<String, String> settings = new HashMap<>(fake.settings());
            settings.put("bridge.data-dir", bridge.dataDir().toString());
            settings.putAll(TestStateDatabase.settingsFor(bridge.dataDir()));
            settings.put("bridge.destinations", "emarsys,segment");
            settings.put("camel.main.routesIncludePattern", BACKFILL_ROUTE);

            Result result = backfill(List.of("emarsys", "--from", "2026-02-01", "--to", "2026-02-03"), settings,
                    Map.of(EngagementBackfill.CLOCK_BEAN, fake.clock));

            assertThat(result.exit()).isEqualTo(1);
            assertThat(result.output()).contains("backfill failed:",
                    "The data folder " + bridge.dataDir().toAbsolutePath() + " is in use by a running bridge (it holds "
                            + bridge.dataDir().toAbsolutePath().resolve("bridge.lock") + ")",
                    "stop the bridge and run the command again");
            assertThat(fake.all()).as("Emarsys is not asked").isEmpty();
            assertThat(bridge.getManagement("/observe/health").statusCode()).as("the bridge runs on").isEqualTo(200);
        }
    }

    @Test
    void withoutEmarsysCredentialsTheCommandSaysSo() throws Exception {
        Path dataDir = TestFolders.create("backfill-cli-");

        Result result = backfill(List.of("emarsys", "--from", "2026-01-01", "--to", "2026-01-02"),
                Map.of("bridge.data-dir", dataDir.toString(), "bridge.destination.emarsys.api-user", "",
                        "bridge.destination.emarsys.api-secret", ""), Map.of());

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.output()).startsWith("backfill: cannot run: " + org.segmentbridge.emarsys.EmarsysAuth.NO_CREDENTIALS)
                .doesNotContain("resume");
    }
}
