package org.segmentbridge.vendor;

import java.io.PrintStream;
import java.time.Instant;

import org.apache.camel.CamelContext;

/**
 * {@code backfill <vendor> --from --to}: reads a range of what the vendor reports to no one and queues it for the
 * {@code segment} destination. The command parses the range and opens the data folder; the vendor does the rest.
 */
public interface Backfill {

    /**
     * Queues the range, printing its progress and a closing summary.
     *
     * @param bridge the bridge in backfill mode: its queue and state store open, every route built and none started
     * @throws CannotRun when a run would do nothing (no credentials), before anything is read
     * @throws Stopped   when part of the range cannot be read or queued; running the command again resumes there
     */
    void run(CamelContext bridge, Instant from, Instant to, PrintStream out) throws CannotRun, Stopped;

    final class CannotRun extends Exception {

        public CannotRun(String why) {
            super(why);
        }
    }

    final class Stopped extends Exception {

        public Stopped(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
