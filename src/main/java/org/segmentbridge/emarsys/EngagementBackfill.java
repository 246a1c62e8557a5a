package org.segmentbridge.emarsys;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.support.service.ServiceSupport;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.intake.Intake;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emarsys reports opens, clicks and bounces to no one: they are pulled. This is the backfill's planner:
 * it cuts the time since the job's checkpoint into windows of days; for each window it asks Emarsys who responded
 * with each response type and what their emails are ({@link EmarsysResponses}), turns each (type, contact, window)
 * into Segment Email spec events with a messageId derived from it ({@link ResponseRecord}), and stores them for the
 * {@code segment} destination through the same path as Sailthru's postbacks. The checkpoint moves past a window only
 * once all of its events are durably queued, so an interrupted run resumes at the first window not queued and a
 * re-run stores nothing twice.
 */
public final class EngagementBackfill extends ServiceSupport {

    public static final String BEAN = "emarsysBackfill";
    public static final String CLOCK_BEAN = "emarsysBackfillClock";
    /** The {@code receivedVia} of the stored events. */
    public static final String ENDPOINT = "emarsys-backfill";
    /** The checkpoint of the scheduled route; ranges run from the command line have their own. */
    static final String SCHEDULED_JOB = "emarsys";

    private static final Logger LOG = LoggerFactory.getLogger(EngagementBackfill.class);
    private static final int STORE_BATCH = 500;

    private final BackfillSettings settings;
    private final Optional<String> disabledBecause;
    private final EmarsysResponses emarsys;
    private final Supplier<VendorReports> reports;
    private final BackfillCheckpoints checkpoints;
    private final BackfillClock clock;
    private final AtomicBoolean warnedSkipped = new AtomicBoolean();
    private volatile Thread running;
    private volatile boolean stopping;

    EngagementBackfill(BackfillSettings settings, Optional<String> disabledBecause, EmarsysResponses emarsys,
                       Supplier<VendorReports> reports, BackfillCheckpoints checkpoints, BackfillClock clock) {
        this.settings = settings;
        this.disabledBecause = disabledBecause;
        this.emarsys = emarsys;
        this.reports = reports;
        this.checkpoints = checkpoints;
        this.clock = clock;
    }

    /**
     * @param active    false in {@code check} and {@code try}: the bean exists for the route, but never runs
     * @param auth      Emarsys' auth, shared with delivery (one OAuth2 token); empty without credentials
     * @param transport the delivery engine's way to the vendors, so the backfill's calls are paced with delivery's
     */
    static EngagementBackfill create(boolean active, org.segmentbridge.SettingsReader reader, Optional<EmarsysAuth> auth,
                                     VendorTransport transport, StateStore stateStore, Supplier<VendorReports> reports,
                                     BackfillClock clock) {
        BackfillSettings settings = BackfillSettings.from(reader);
        DestinationSettings destination = new DestinationSettings("emarsys", reader);
        Optional<String> disabled = !active ? Optional.of("the backfill runs only in a running bridge or from the backfill command")
                : auth.isEmpty() ? Optional.of(EmarsysAuth.NO_CREDENTIALS)
                : Optional.empty();
        EmarsysHttp calls = new EmarsysHttp();
        calls.use(transport);
        EmarsysResponses emarsys = new EmarsysResponses(settings, destination, auth, calls, clock);
        return new EngagementBackfill(settings, disabled, emarsys, memoize(reports), new BackfillCheckpoints(stateStore), clock);
    }

    /** Why a run would do nothing, e.g. no credentials; empty when it would run. */
    public Optional<String> disabledBecause() {
        return disabledBecause;
    }

    public Duration window() {
        return settings.window();
    }

    public int typesPerWindow() {
        return settings.types().size();
    }

    /** The scheduled route's step: every complete, settled window since the checkpoint. Never throws. */
    public void runScheduled() {
        if (disabledBecause.isPresent()) {
            if (warnedSkipped.compareAndSet(false, true)) {
                LOG.info("Emarsys engagement backfill skipped: {}", disabledBecause.get());
            }
            return;
        }
        if (!reports.get().kept()) {
            return;
        }
        try {
            Instant now = clock.now();
            Instant until = floor(now.minus(settings.settle()));
            Instant from = checkpoints.doneUntil(SCHEDULED_JOB).orElse(floor(now.minus(settings.lookback())));
            if (!from.isBefore(until)) {
                LOG.debug("Emarsys engagement backfill: nothing due (done until {})", from);
                return;
            }
            Summary summary = run(SCHEDULED_JOB, from, from, until, Progress.LOG);
            LOG.info("Emarsys engagement backfill: {} window(s) up to {}: {} records read, {} events queued "
                            + "({} contacts without an email)", summary.windowsRun(), until, summary.records(), summary.queued(),
                    summary.withoutEmail());
        } catch (BackfillException e) {
            LOG.warn("Emarsys engagement backfill stopped: {}; the next run resumes at the first window not queued", e.getMessage());
        } catch (SQLException e) {
            LOG.warn("Emarsys engagement backfill could not read its checkpoint: {}", e.getMessage());
        }
    }

    /**
     * A date range, from the command line: windows already queued by an earlier run of the same range are skipped.
     *
     * @throws BackfillException when a window cannot be read or queued; its checkpoint is where the next run resumes
     */
    public Summary runRange(Instant from, Instant to, Progress progress) throws BackfillException {
        if (disabledBecause.isPresent()) {
            throw new BackfillException(disabledBecause.get());
        }
        if (!reports.get().kept()) {
            throw new BackfillException("'segment' is not in bridge.destinations: nothing would send the events on to Segment");
        }
        if (to.isAfter(clock.now())) {
            throw new BackfillException("the range ends at " + to + ", after now: Emarsys cannot report responses that have not happened");
        }
        String job = "emarsys " + from + ".." + to;
        try {
            Instant resumeAt = checkpoints.doneUntil(job).orElse(from);
            return run(job, from, resumeAt, to, progress);
        } catch (SQLException e) {
            throw new BackfillException("the checkpoint of " + job + " cannot be read: " + e.getMessage(), e);
        }
    }

    private Summary run(String job, Instant from, Instant resumeAt, Instant to, Progress progress)
            throws BackfillException, SQLException {
        List<Window> done = windows(from, resumeAt.isAfter(to) ? to : resumeAt);
        List<Window> todo = windows(resumeAt, to);
        Instant started = clock.now();
        Totals totals = new Totals(done.size() + todo.size(), done.size());
        progress.started(from, to, totals, typesPerWindow());
        running = Thread.currentThread();
        try {
            for (Window window : todo) {
                if (stopping) {
                    throw new BackfillException("the bridge is stopping");
                }
                WindowResult result = backfill(window);
                checkpoints.save(job, window.end(), Instant.now());
                totals.add(result);
                Duration elapsed = Duration.between(started, clock.now());
                progress.windowDone(window, result, totals, elapsed, eta(elapsed, totals));
            }
        } finally {
            running = null;
        }
        return totals.summary(Duration.between(started, clock.now()));
    }

    private static Optional<Duration> eta(Duration elapsed, Totals totals) {
        if (totals.windowsRun == 0) {
            return Optional.empty();
        }
        return Optional.of(elapsed.dividedBy(totals.windowsRun).multipliedBy(totals.windows - totals.windowsDone));
    }

    /** One window: every type's query read, contacts resolved, events stored. */
    private WindowResult backfill(Window window) throws BackfillException {
        Map<String, ResponseRecord> records = new LinkedHashMap<>();
        for (BackfillSettings.ResponseType type : settings.types()) {
            for (JsonNode entry : emarsys.responses(type, window)) {
                ResponseRecord record = ResponseRecord.of(type, entry, window);
                if (record != null) {
                    records.putIfAbsent(record.id(), record);
                }
            }
        }
        Map<String, String> emails = emarsys.emails(records.values().stream().map(ResponseRecord::contactId).collect(
                java.util.stream.Collectors.toCollection(LinkedHashSet::new)));
        List<List<ObjectNode>> batches = new ArrayList<>();
        batches.add(new ArrayList<>());
        int withoutEmail = 0;
        for (ResponseRecord record : records.values()) {
            String email = emails.get(record.contactId());
            if (email == null) {
                withoutEmail++;
                continue;
            }
            if (batches.get(batches.size() - 1).size() >= STORE_BATCH) {
                batches.add(new ArrayList<>());
            }
            batches.get(batches.size() - 1).add(record.event(reports.get(), email));
        }
        int stored = 0;
        for (List<ObjectNode> batch : batches) {
            if (batch.isEmpty()) {
                continue;
            }
            try {
                stored += VendorReports.awaitStored(reports.get().store(batch, Instant.now())).appended();
            } catch (RuntimeException e) {
                throw new BackfillException("the events of " + window + " could not be queued (" + e.getMessage()
                        + "); its checkpoint was not moved", e);
            }
        }
        return new WindowResult(records.size(), stored, withoutEmail);
    }

    /** Window boundaries on a grid of {@code window} from the epoch, so every run cuts the same windows. */
    List<Window> windows(Instant from, Instant to) {
        List<Window> windows = new ArrayList<>();
        Instant start = from;
        while (start.isBefore(to)) {
            Instant next = floor(start).plus(settings.window());
            Instant end = next.isAfter(to) ? to : next;
            windows.add(new Window(start, end));
            start = end;
        }
        return windows;
    }

    private Instant floor(Instant instant) {
        long size = settings.window().toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(instant.toEpochMilli(), size) * size);
    }

    @Override
    protected void doStop() {
        stopping = true;
        // A run may be waiting out the query interval: let it end now; its current window stays unqueued.
        Thread thread = running;
        if (thread != null) {
            thread.interrupt();
        }
    }

    static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }

    /** Days {@code [start, end)} in UTC. */
    public record Window(Instant start, Instant end) {

        LocalDate firstDay() {
            return LocalDate.ofInstant(start, ZoneOffset.UTC);
        }

        /** Emarsys' end_date is taken as inclusive: the last day the window covers. */
        LocalDate lastDay() {
            return LocalDate.ofInstant(end.minusMillis(1), ZoneOffset.UTC);
        }

        @Override
        public String toString() {
            return firstDay().equals(lastDay()) ? firstDay().toString() : firstDay() + ".." + lastDay();
        }
    }

    /** {@code queued}: appended to the intake log; a record queued by an earlier run is dropped there as a duplicate. */
    public record WindowResult(int records, int queued, int withoutEmail) {
    }

    /** A run's figures so far; {@code windowsDone} counts windows queued by earlier runs too. */
    public static final class Totals {

        private final int windows;
        private int windowsDone;
        private int windowsRun;
        private long records;
        private long queued;
        private long withoutEmail;

        Totals(int windows, int windowsDone) {
            this.windows = windows;
            this.windowsDone = windowsDone;
        }

        void add(WindowResult result) {
            windowsDone++;
            windowsRun++;
            records += result.records();
            queued += result.queued();
            withoutEmail += result.withoutEmail();
        }

        public int windows() {
            return windows;
        }

        public int windowsDone() {
            return windowsDone;
        }

        public int windowsRun() {
            return windowsRun;
        }

        public long records() {
            return records;
        }

        public long queued() {
            return queued;
        }

        Summary summary(Duration elapsed) {
            return new Summary(windows, windowsDone, windowsRun, records, queued, withoutEmail, elapsed);
        }
    }

    public record Summary(int windows, int windowsDone, int windowsRun, long records, long queued, long withoutEmail,
                          Duration elapsed) {
    }

    /** What a run reports as it goes (the command line prints it; the scheduled route logs it). */
    public interface Progress {

        void started(Instant from, Instant to, Totals totals, int typesPerWindow);

        void windowDone(Window window, WindowResult result, Totals totals, Duration elapsed, Optional<Duration> eta);

        Progress LOG = new Progress() {
            private final Logger log = LoggerFactory.getLogger(EngagementBackfill.class);

            @Override
            public void started(Instant from, Instant to, Totals totals, int typesPerWindow) {
                log.info("Emarsys engagement backfill: {} window(s) from {} to {}", totals.windows() - totals.windowsDone(), from, to);
            }

            @Override
            public void windowDone(Window window, WindowResult result, Totals totals, Duration elapsed, Optional<Duration> eta) {
                log.info("Emarsys engagement backfill: {} queued: {} records, {} events ({} without an email)",
                        window, result.records(), result.queued(), result.withoutEmail());
            }
        };
    }

    /** A run stopped; the windows before the one named are queued and checkpointed. */
    public static final class BackfillException extends Exception {

        public BackfillException(String message) {
            super(message);
        }

        public BackfillException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
