package org.segmentbridge.processor;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.support.service.ServiceSupport;
import org.segmentbridge.crash.CrashPoints;
import org.segmentbridge.observe.LogContext;
import org.segmentbridge.observe.Redaction;
import org.segmentbridge.deadletters.DeadLetters;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.queue.IntakeLog;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.state.StoreFailures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stage between the intake log and the destinations' logs. One thread reads the intake log in batches, oldest
 * first, hands each batch to {@link EventProcessor} and publishes what it says in the same transaction that takes the
 * batch off the log. Reading in order with one reader is what keeps every person's events in order end to end.
 *
 * <p>When the state database (or the broker) fails, the batch goes back to the log and the processor waits, doubling
 * its pause up to {@value #MAX_PAUSE_MILLIS} ms, and reads it again; the intake is not involved and goes on appending.
 * An event that fails for another reason (a defect, not an outage) would stop the log for everyone behind it: after
 * {@value #ATTEMPTS_BEFORE_ALONE} failed attempts the processor takes events one at a time, and an event that fails
 * alone {@value #ATTEMPTS_BEFORE_DEAD_LETTER} times becomes a dead letter naming the failure.
 */
public final class Processor extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(Processor.class);
    private static final long FIRST_PAUSE_MILLIS = 100;
    private static final long MAX_PAUSE_MILLIS = 5_000;
    private static final int ATTEMPTS_BEFORE_ALONE = 3;
    /** How long a batch waits for more events after its first: a few milliseconds of latency for far fewer commits. */
    private static final long LINGER_MILLIS = 2;
    private static final int ATTEMPTS_BEFORE_DEAD_LETTER = 3;

    private final IntakeLog log;
    private final EventProcessor events;
    private final MessageLedger ledger;
    private final MessageMarks marks;
    private final DeadLetters deadLetters;
    private final MeterRegistry meters;
    private final int batchSize;
    private final long pollMillis;

    private final java.util.concurrent.atomic.AtomicLong taken = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean running;
    private volatile long stalledSinceMillis;
    private volatile String stalledBecause = "";
    private Thread thread;

    /**
     * @param reportsDestination the destination that takes what platforms report (Segment), when it is one
     * @param release            releases the events held for persons whose key became known (their ids)
     */
    public Processor(IntakeLog log, StateStore stateStore, IdentityStore identity, Privacy privacy, DeadLetters deadLetters,
                     MessageMarks marks, Duration dedupeWindow, Optional<String> reportsDestination, java.util.function.Consumer<java.util.Set<String>> release,
                     MeterRegistry meters, int batchSize, Duration poll) {
        this.log = log;
        this.ledger = new MessageLedger(stateStore, dedupeWindow);
        this.marks = marks;
        this.events = new EventProcessor(stateStore, identity, privacy, ledger, marks, release::accept, reportsDestination);
        this.deadLetters = deadLetters;
        this.meters = meters;
        this.batchSize = batchSize;
        this.pollMillis = poll.toMillis();
        Gauge.builder("bridge.processor.stalled", this, processor -> processor.stalledSinceMillis == 0 ? 0 : 1)
                .description("1 while the processor waits for the state database or the broker to come back")
                .register(meters);
    }

    /** Why the processor is waiting and since when, or empty while it runs. */
    public Optional<String> stalled() {
        long since = stalledSinceMillis;
        return since == 0 ? Optional.empty()
                : Optional.of(stalledBecause + " (since " + Instant.ofEpochMilli(since) + "; the intake keeps accepting)");
    }

    /**
     * Waits until the processor has taken a report appended with this messageId: whether it went to every
     * destination (a consent change), or empty when it was not processed within {@code timeout}. For an operator's
     * request that answers with the outcome; the intake never waits.
     */
    public Optional<Boolean> awaitReportSentToAll(String messageId, Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Optional<String>> recorded = marks.ofClaimed(messageId);
            if (recorded.isPresent()) {
                return Optional.of(events.recordedRoute(IntakeLog.Kind.REPORT, recorded.get().orElse(null)) == EventProcessor.Route.ALL);
            }
            if (System.nanoTime() > deadline) {
                return Optional.empty();
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /** Events this processor has taken off the intake log since it started (published, dropped or dead-lettered). */
    public long processedEvents() {
        return taken.get();
    }

    /**
     * Forgets messageIds older than the dedupe window, and their marks, and strips the previous keys of persons erased
     * at another bridge (see {@link MessageMarks#stripTombstoned}); returns how many ids.
     */
    public int purgeExpiredMessageIds(Instant now) throws SQLException {
        marks.purgeExpired(now);
        marks.stripTombstoned();
        return ledger.purgeExpired(now);
    }

    @Override
    protected void doStart() {
        running = true;
        thread = new Thread(this::run, "processor");
        thread.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(15_000);
        }
    }

    private void run() {
        long pause = FIRST_PAUSE_MILLIS;
        int failures = 0;
        while (running) {
            try (IntakeLog.Reader reader = log.openReader()) {
                while (running) {
                    int size = failures >= ATTEMPTS_BEFORE_ALONE ? 1 : batchSize;
                    List<IntakeLog.Logged> batch = reader.next(size, pollMillis, LINGER_MILLIS);
                    if (batch.isEmpty()) {
                        // The log answers and holds nothing this processor failed on: nothing is stuck.
                        resumed();
                        continue;
                    }
                    try {
                        processAndEmit(reader, batch);
                        resumed();
                        failures = 0;
                        pause = FIRST_PAUSE_MILLIS;
                    } catch (SQLException | RuntimeException e) {
                        if (!isOutage(e)) {
                            failures++;
                            if (batch.size() == 1 && failures >= ATTEMPTS_BEFORE_ALONE + ATTEMPTS_BEFORE_DEAD_LETTER) {
                                // Still taken by this session (nothing was emitted: a defect fails before the emits).
                                deadLetter(reader, batch.get(0), e);
                                failures = 0;
                                continue;
                            }
                        }
                        rollbackQuietly(reader);
                        stalled(e);
                        sleep(pause);
                        pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
                    }
                }
            } catch (RuntimeException e) {
                if (running) {
                    stalled(e);
                    sleep(pause);
                    pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
                }
            }
        }
    }

    private void processAndEmit(IntakeLog.Reader reader, List<IntakeLog.Logged> batch) throws SQLException {
        EventProcessor.Batch processed = events.process(batch);
        for (EventProcessor.Emit emit : processed.emits()) {
            reader.emit(emit.event(), emit.receivedVia(), emit.onlyFor());
        }
        reader.commit();
        taken.addAndGet(batch.size());
        CrashPoints.pass("processor.emitted");
        count(processed);
        try {
            processed.afterEmitted();
        } catch (RuntimeException e) {
            // The periodic sweep releases held events later; the batch itself is done.
            LOG.warn("Could not release the events waiting for a person's key yet: {}", e.getMessage());
        }
    }

    private void count(EventProcessor.Batch processed) {
        Counter.builder("bridge.processor.events.emitted").description("Events the processor published to the destinations' logs")
                .register(meters).increment(processed.emits().size());
        if (processed.replayed() > 0) {
            Counter.builder("bridge.processor.events.replayed")
                    .description("Events read again at a position already processed (after a crash) and emitted again")
                    .register(meters).increment(processed.replayed());
        }
        for (EventProcessor.DroppedEvent dropped : processed.dropped()) {
            Counter.builder("bridge.processor.events.dropped").description("Events the processor acknowledged but sent nowhere, by reason")
                    .tag("reason", dropped.reason().label).tag("endpoint", dropped.endpoint()).register(meters).increment();
        }
    }

    /** An outage passes by itself: the database or the logs are unreachable, busy or restarting. */
    private static boolean isOutage(Exception e) {
        return e instanceof SQLException || e instanceof EventQueue.QueueUnavailableException || StoreFailures.isUnavailable(e)
                || e.getCause() instanceof SQLException;
    }

    private void deadLetter(IntakeLog.Reader reader, IntakeLog.Logged logged, Exception failure) {
        String messageId = logged.event().path("messageId").asText("");
        try (LogContext ignored = LogContext.with(LogContext.MESSAGE_ID, messageId, LogContext.ENDPOINT, logged.receivedVia())) {
            deadLetters.add(DeadLetters.PROCESSOR, logged.kind().name(), messageId, logged.event().toString(), null, 0, 0, "processing_failed",
                    "the processor failed on this event " + (ATTEMPTS_BEFORE_DEAD_LETTER) + " times alone: "
                            + StoreFailures.describe(failure));
            reader.commit();
            taken.incrementAndGet();
            LOG.error("An event received via {} failed in the processor every time and was dead-lettered: {}",
                    logged.receivedVia(), Redaction.withoutEmails(StoreFailures.describe(failure)));
        } catch (Exception e) {
            rollbackQuietly(reader);
            stalled(e);
        }
    }

    private void stalled(Exception e) {
        String because = StoreFailures.describe(e);
        if (stalledSinceMillis == 0) {
            stalledSinceMillis = System.currentTimeMillis();
            LOG.warn("The processor pauses and will read the same events again: {}", because);
        }
        stalledBecause = because;
    }

    private void resumed() {
        if (stalledSinceMillis != 0) {
            LOG.info("The processor resumes after {} ms", System.currentTimeMillis() - stalledSinceMillis);
            stalledSinceMillis = 0;
        }
    }

    private static void rollbackQuietly(IntakeLog.Reader reader) {
        try {
            reader.rollback();
        } catch (RuntimeException e) {
            LOG.debug("Rolling back the processor's batch failed (the session is lost, which gives it back too): {}", e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
