package org.segmentbridge.emarsys;

import java.time.Duration;
import java.time.Instant;

/**
 * The backfill's sense of time: which windows are due, and the waits Emarsys' one-query-a-minute limit and its
 * query polling impose. Tests bind their own under {@value EngagementBackfill#CLOCK_BEAN}, so a run that would wait
 * for hours is checked in moments.
 */
public interface BackfillClock {

    Instant now();

    void sleep(Duration duration) throws InterruptedException;

    /** A wait within a run: an interrupt (the bridge is stopping) ends the run, its window left for the next one. */
    default void pause(Duration duration) throws EngagementBackfill.BackfillException {
        try {
            sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngagementBackfill.BackfillException("interrupted", e);
        }
    }

    BackfillClock SYSTEM = new BackfillClock() {
        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            if (!duration.isNegative() && !duration.isZero()) {
                Thread.sleep(duration.toMillis());
            }
        }
    };
}
