package org.segmentbridge.emarsys;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.support.service.ServiceSupport;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.emarsys.EngagementBackfill.BackfillException;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.privacy.ConsentChanges;
import org.segmentbridge.privacy.SuppressionStore.Consent;
import org.segmentbridge.privacy.SuppressionStore.State;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opt-outs and opt-ins made in Emarsys, to Segment and the other platforms within minutes. Emarsys tells no one when a
 * contact's opt-in (field 31) changes, so on a short schedule the feed exports the contacts changed since its
 * checkpoint ({@link ContactChanges}) and turns each one whose opt-in differs from the suppression store into a
 * consent signal from the origin {@code emarsys}: an identify with {@code unsubscribed} and an {@code Unsubscribed} or
 * {@code Subscribed} track, stored through the same path as Sailthru's opt-out postbacks (so the one marked change
 * reaches Segment, Sailthru and Iterable, and never goes back to Emarsys).
 *
 * <p>What it decides, and why:
 * <ul>
 *   <li>An export holds each contact's current opt-in, not when it changed. A change is stamped with the window's
 *   start, the earliest moment it may have happened; an opt-in then lifts only an opt-out recorded no later than that
 *   ({@link ConsentChanges}), so with whole-day windows an opt-in made on the day another platform opted the person
 *   out is not taken.</li>
 *   <li>An opt-in lifts an opt-out; with none recorded it changes nothing, so contacts merely updated (the bridge's own
 *   upserts among them) re-subscribe nobody elsewhere.</li>
 *   <li>A value equal to the store's is the echo of what the store already knows (the bridge's own writes): nothing is
 *   stored.</li>
 *   <li>A value that contradicts a change another platform made less than {@code echo-grace} before the export may be
 *   Emarsys' value from before the bridge's write of that change arrived: it is held, and the checkpoint stays, so a
 *   later run reads the contact again.</li>
 * </ul>
 * The checkpoint moves only once a window's changes are stored; a run interrupted anywhere asks again for the same
 * window, and what it stores twice changes nothing (the suppression store) and carries the same messageIds.
 */
public final class OptInFeed extends ServiceSupport {

    public static final String BEAN = "emarsysOptInFeed";
    /** The {@code receivedVia} of the stored events. */
    public static final String ENDPOINT = "emarsys-optin-feed";
    /** The checkpoint and the lease of the scheduled route. */
    static final String JOB = "emarsys-optin-feed";

    private static final Logger LOG = LoggerFactory.getLogger(OptInFeed.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORIGIN = "emarsys";
    private static final int STORE_BATCH = 500;

    private final OptInFeedSettings settings;
    private final Optional<String> disabledBecause;
    private final Optional<ContactChanges> emarsys;
    private final Supplier<VendorReports> reports;
    private final BackfillCheckpoints checkpoints;
    private final JobLease lease;
    private final BackfillClock clock;
    private final AtomicBoolean warnedSkipped = new AtomicBoolean();
    private final AtomicBoolean held = new AtomicBoolean();
    private volatile Thread running;

    private OptInFeed(OptInFeedSettings settings, Optional<String> disabledBecause, Optional<ContactChanges> emarsys,
                      Supplier<VendorReports> reports, BackfillCheckpoints checkpoints, JobLease lease, BackfillClock clock) {
        this.settings = settings;
        this.disabledBecause = disabledBecause;
        this.emarsys = emarsys;
        this.reports = reports;
        this.checkpoints = checkpoints;
        this.lease = lease;
        this.clock = clock;
    }

    /** As {@link EngagementBackfill#create}: Emarsys' auth and the delivery engine's transport are shared. */
    static OptInFeed create(boolean active, org.segmentbridge.SettingsReader reader, Optional<EmarsysAuth> auth,
                            VendorTransport transport, StateStore stateStore, Supplier<VendorReports> reports, BackfillClock clock) {
        OptInFeedSettings settings = OptInFeedSettings.from(reader);
        Optional<String> disabled = !active ? Optional.of("the feed runs only in a running bridge")
                : auth.isEmpty() ? Optional.of(EmarsysAuth.NO_CREDENTIALS)
                : Optional.empty();
        EmarsysHttp calls = new EmarsysHttp();
        calls.use(transport);
        DestinationSettings destination = new DestinationSettings("emarsys", reader);
        Optional<ContactChanges> emarsys = auth.map(credential -> new ContactChanges(settings, destination, credential, calls, clock));
        return new OptInFeed(settings, disabled, emarsys, EngagementBackfill.memoize(reports), new BackfillCheckpoints(stateStore),
                new JobLease(stateStore, "bridge-" + UUID.randomUUID()), clock);
    }

    public Optional<String> disabledBecause() {
        return disabledBecause;
    }

    /** The scheduled route's step: the changes since the checkpoint. Never throws. */
    public void runScheduled() {
        if (disabledBecause.isPresent()) {
            if (warnedSkipped.compareAndSet(false, true)) {
                LOG.info("Emarsys opt-in feed skipped: {}", disabledBecause.get());
            }
            return;
        }
        running = Thread.currentThread();
        try {
            Instant asked = clock.now();
            // Long enough for a whole run (an export may take poll-timeout to be ready) and the wait until the next.
            if (!lease.hold(JOB, asked, asked.plus(settings.every()).plus(settings.pollTimeout()))) {
                LOG.debug("Emarsys opt-in feed: another bridge holds it");
                return;
            }
            held.set(true);
            Instant from = checkpoints.doneUntil(JOB).orElse(asked.minus(settings.every()));
            ContactChanges.Window window = ContactChanges.Window.of(from, asked, settings.timeRange());
            Result result = run(window, asked);
            if (result.held() == 0) {
                checkpoints.save(JOB, asked, Instant.now());
            }
            // Every few minutes: a line only when something changed or waits.
            boolean noteworthy = result.stored() > 0 || result.held() > 0;
            (noteworthy ? LOG.atInfo() : LOG.atDebug()).log("Emarsys opt-in feed: {}: {} contact(s) changed, {} consent event(s) "
                            + "stored, {} unchanged, {} held back{}", window, result.read(), result.stored(), result.unchanged(),
                    result.held(), result.held() == 0 ? "" : " (the checkpoint stays: a later run reads them again)");
        } catch (BackfillException e) {
            LOG.warn("Emarsys opt-in feed stopped: {}; the next run asks again from its checkpoint", e.getMessage());
        } catch (SQLException e) {
            LOG.warn("Emarsys opt-in feed could not read or move its checkpoint or lease: {}", e.getMessage());
        } finally {
            running = null;
        }
    }

    private Result run(ContactChanges.Window window, Instant asked) throws BackfillException {
        ContactChanges changes = emarsys.orElseThrow();
        String exportId = changes.start(window);
        changes.awaitReady(exportId, window);
        List<ContactChanges.Change> read = changes.read(exportId, window);
        List<List<ObjectNode>> batches = new ArrayList<>();
        batches.add(new ArrayList<>());
        int unchanged = 0;
        int held = 0;
        for (ContactChanges.Change change : read) {
            Optional<Consent> current = reports.get().emailConsent(change.email());
            if (current.map(Consent::state).orElse(State.SUBSCRIBED) == change.state()) {
                // The store knows it already (the bridge's own write coming back), or an opt-in with no opt-out to lift.
                unchanged++;
                continue;
            }
            if (current.isPresent() && !ORIGIN.equals(current.get().origin())
                    && asked.isBefore(current.get().changedAt().plus(settings.echoGrace()))) {
                held++;
                continue;
            }
            if (batches.get(batches.size() - 1).size() >= STORE_BATCH) {
                batches.add(new ArrayList<>());
            }
            batches.get(batches.size() - 1).addAll(events(change, window));
        }
        int stored = 0;
        for (List<ObjectNode> batch : batches) {
            if (batch.isEmpty()) {
                continue;
            }
            try {
                stored += VendorReports.awaitStored(reports.get().store(batch, Instant.now())).appended();
            } catch (RuntimeException e) {
                throw new BackfillException("the consent changes of " + window + " could not be stored (" + e.getMessage()
                        + "); its checkpoint was not moved", e);
            }
        }
        return new Result(read.size(), stored, unchanged, held);
    }

    /**
     * The identify and the track of one change, as Sailthru's opt-out postback has them; one store call keeps them
     * together. Their messageIds are derived from the change and the window's start, so the same window read again
     * gives the same ids.
     */
    private List<ObjectNode> events(ContactChanges.Change change, ContactChanges.Window window) {
        boolean optedOut = change.state() == State.UNSUBSCRIBED;
        VendorReports.Recipient recipient = reports.get().recipient(change.email(), window.start(),
                kind -> VendorReports.messageId(ORIGIN, ENDPOINT, change.email(), change.state().column(), window.start().toString(), kind));
        ObjectNode properties = JSON.createObjectNode()
                .put("emarsys_opt_in", optedOut ? ContactChanges.OPTED_OUT : ContactChanges.OPTED_IN)
                .put("window_start", window.start().toString()).put("window_end", window.end().toString());
        return List.of(recipient.identify(Map.of("unsubscribed", optedOut)),
                recipient.track(optedOut ? ConsentChanges.UNSUBSCRIBED_EVENT : ConsentChanges.SUBSCRIBED_EVENT, properties));
    }

    @Override
    protected void doStop() {
        // A run may be waiting for an export: let it end now; its window stays unstored and is asked for again.
        Thread thread = running;
        if (thread != null) {
            thread.interrupt();
        }
        if (held.get()) {
            try {
                lease.release(JOB);
            } catch (SQLException e) {
                LOG.debug("The opt-in feed's lease could not be released; it expires on its own: {}", e.getMessage());
            }
        }
    }

    private record Result(int read, int stored, int unchanged, int held) {
    }
}
