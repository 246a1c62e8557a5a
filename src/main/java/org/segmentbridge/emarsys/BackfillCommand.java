package org.segmentbridge.emarsys;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.apache.camel.CamelContext;
import org.segmentbridge.vendor.Backfill;

/** {@code backfill emarsys --from --to}: one range through the bridge's {@link EngagementBackfill}, with a line per window. */
final class BackfillCommand implements Backfill {

    @Override
    public void run(CamelContext bridge, Instant from, Instant to, PrintStream out) throws CannotRun, Stopped {
        EngagementBackfill backfill = bridge.getRegistry().lookupByNameAndType(EngagementBackfill.BEAN, EngagementBackfill.class);
        if (backfill.disabledBecause().isPresent()) {
            throw new CannotRun(backfill.disabledBecause().get());
        }
        EngagementBackfill.Summary summary;
        try {
            summary = backfill.runRange(from, to, new Progress(out, backfill));
        } catch (EngagementBackfill.BackfillException e) {
            throw new Stopped(e.getMessage(), e);
        }
        out.printf("backfill done: %d window(s) of %d read in this run, %d records, %d events queued for segment "
                        + "(%d contacts without an email) in %s; the bridge sends them when it next runs, and drops those "
                        + "an earlier run queued as duplicates%n",
                summary.windowsRun(), summary.windows(), summary.records(), summary.queued(),
                summary.withoutEmail(), Progress.human(summary.elapsed()));
    }

    /** One line per window: what it held, and the run's figures so far with the rate and the time left. */
    private record Progress(PrintStream out, EngagementBackfill backfill) implements EngagementBackfill.Progress {

        @Override
        public void started(Instant from, Instant to, EngagementBackfill.Totals totals, int typesPerWindow) {
            int left = totals.windows() - totals.windowsDone();
            out.printf("backfill emarsys %s .. %s: %d window(s) of %s, %d already queued by an earlier run; %d left, "
                            + "%d query(ies) each at one a minute (at least %s)%n",
                    from, to, totals.windows(), human(backfill.window()), totals.windowsDone(), left, typesPerWindow,
                    human(Duration.ofMinutes((long) left * typesPerWindow)));
        }

        @Override
        public void windowDone(EngagementBackfill.Window window, EngagementBackfill.WindowResult result,
                               EngagementBackfill.Totals totals, Duration elapsed, Optional<Duration> eta) {
            double minutes = Math.max(elapsed.toMillis(), 1) / 60_000.0;
            out.printf("window %d/%d %s: %d records, %d events queued (%d without an email) | "
                            + "so far %d records, %d queued, %.1f records/min, ETA %s%n",
                    totals.windowsDone(), totals.windows(), window, result.records(), result.queued(),
                    result.withoutEmail(), totals.records(), totals.queued(), totals.records() / minutes,
                    eta.map(Progress::human).orElse("unknown"));
        }

        static String human(Duration duration) {
            long seconds = duration.toSeconds();
            if (seconds > 0 && seconds % 86_400 == 0) {
                return seconds / 86_400 + "d";
            }
            if (seconds < 60) {
                return seconds + "s";
            }
            long minutes = seconds / 60;
            return minutes < 60 ? minutes + "m " + seconds % 60 + "s" : minutes / 60 + "h " + minutes % 60 + "m";
        }
    }
}
