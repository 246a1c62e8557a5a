package org.segmentbridge.delivery;

import org.segmentbridge.crash.CrashPoints;
import org.segmentbridge.deadletters.DeadLetters;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.core.IntervalFunction;
import org.segmentbridge.identity.AwaitingIdentity;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.identity.PendingEvents;
import org.segmentbridge.observe.LogContext;
import org.segmentbridge.observe.Redaction;
import org.segmentbridge.queue.DestinationReader;
import org.segmentbridge.queue.EventLogs;
import org.segmentbridge.queue.Postponed;
import org.segmentbridge.queue.QueuedMessage;
import org.segmentbridge.state.StoreFailures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one destination's subscription to its vendor.
 *
 * <p>Each event read from the queue runs through the destination's routes, whose {@code deliver:} calls prepare
 * items. Items then flow through per-person lanes (one person's items strictly in order, people in parallel), into
 * batchers per action and group (cut by count and bytes, flushed when full or after the flush time), through the
 * credential's pacer, to the vendor. The vendor's answer is read into one verdict per item: delivered, retried
 * after a backoff (only that person's lane waits), or dead-lettered. The queue message is acknowledged once all its
 * items are done, so a crash loses nothing: what was not acknowledged is read again on restart.
 *
 * <p>All state lives on one scheduler thread ("the actor"), so none of it needs locks; HTTP answers, lookups and
 * timers post back to it. Nothing on it waits for a vendor: requests go out through the {@link VendorTransport}, and a
 * request that needs a lookup first ({@link AwaitingLookup}) is set aside until the lookup answers.
 *
 * <p>A graceful stop ({@link #drain}) reads no more events and finishes what is under way: the requests in flight are
 * answered and read, and the other items of the events begun (an item of theirs went to the vendor or is settled) are
 * sent at once. Events not begun stay unsent and go back to the log whole, where the log gives back only what is
 * unsettled (on Kafka, whose partitions keep one position, every event held is finished instead). Events with an item
 * waiting for a retry go back too: a stop does not wait for backoffs. So a stop within the timeout makes the vendor
 * receive nothing twice, but for the already delivered items of an event that also has an item waiting for a retry.
 */
public final class DestinationDelivery implements DestinationReader.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(DestinationDelivery.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DestinationSettings settings;
    private final Connector connector;
    private final EventRoutes routes;
    private final IdentityStore identity;
    private final PendingEvents pendingEvents;
    private final DeadLetters deadLetters;
    private final DryRunRecorder dryRun;
    private final DeliveryMetrics metrics;
    private final DeliveryObserver observer;
    private final RequestPacer destinationPacer;
    private final Map<String, RequestPacer> endpointPacers;
    private final boolean recordOnly;
    private final IntervalFunction backoff;
    private final DestinationReader reader;
    private final VendorTransport transport;

    private ScheduledExecutorService actor;
    /** Bumped when the queue session is lost: answers and timers of an older generation are ignored. */
    private long generation;
    private final Map<String, Deque<DeliveryItem>> lanes = new HashMap<>();
    private final Map<String, Batcher> batchers = new HashMap<>();
    private final Deque<Batch> pending = new ArrayDeque<>();
    /** When the next pump is scheduled for, if one is. */
    private Instant pumpDue;
    private int requestsInFlight;
    /** Batches set aside until a lookup answers. */
    private int lookupsAwaited;
    /** Items waiting for their retry. */
    private int retriesWaiting;
    /** Set once the stop began: completes once no request is in flight and nothing begun waits to be sent. */
    private CompletableFuture<Void> drained;

    DestinationDelivery(DestinationSettings settings, Connector connector, EventRoutes routes, IdentityStore identity,
                        PendingEvents pendingEvents, DeadLetters deadLetters, DryRunRecorder dryRun, DeliveryMetrics metrics,
                        DeliveryObserver observer, VendorTransport transport, EventLogs logs) {
        this.settings = settings;
        this.connector = connector;
        this.routes = routes;
        this.identity = identity;
        this.pendingEvents = pendingEvents;
        this.deadLetters = deadLetters;
        this.dryRun = dryRun;
        this.metrics = metrics;
        this.observer = observer;
        this.recordOnly = settings.recordsOnly(connector);
        String credential = recordOnly ? "dry-run:" + settings.name() : connector.credentialId(settings);
        this.transport = transport;
        this.destinationPacer = transport.pacer(credential, settings.rate());
        this.endpointPacers = new HashMap<>();
        for (String actionName : connector.actionNames()) {
            Action action = connector.action(actionName);
            action.endpointRate().ifPresent(documented -> endpointPacers.put(actionName,
                    transport.pacer(credential + "/" + actionName, settings.endpointRate(actionName, documented))));
        }
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(settings.initialDelay(), settings.backoffMultiplier(), 0.5,
                settings.maxDelay());
        this.reader = logs.destinationReader(settings.name(), settings.maxInFlight(), this);
    }

    public String destination() {
        return settings.name();
    }

    public boolean isDryRun() {
        return recordOnly;
    }

    /** The pause of the destination's credential as its pacer knows it; empty when it could not be read. */
    Optional<Instant> credentialPausedUntil() {
        return destinationPacer.pausedUntil();
    }

    /** The pauses of the endpoints paced on their own that end after {@code now}, by action. */
    Map<String, Instant> endpointPausesAfter(Instant now) {
        Map<String, Instant> pauses = new java.util.TreeMap<>();
        endpointPacers.forEach((action, pacer) -> pacer.pausedUntil().filter(now::isBefore)
                .ifPresent(until -> pauses.put(action, until)));
        return pauses;
    }

    /**
     * How long the vendor still holds this destination off (a 429's Retry-After, a rate-limit header saying nothing
     * remains): the longest pause left on its credential or any of its endpoints; zero when none.
     */
    double pausedSeconds() {
        Instant now = Instant.now();
        Duration longest = destinationPacer.pausedFor(now);
        for (RequestPacer endpoint : endpointPacers.values()) {
            Duration paused = endpoint.pausedFor(now);
            longest = paused.compareTo(longest) > 0 ? paused : longest;
        }
        return longest.toMillis() / 1000.0;
    }

    void start() {
        actor = Executors.newSingleThreadScheduledExecutor(runnable -> new Thread(runnable, "delivery-" + settings.name()));
        reader.start();
        LOG.info("Destination {}: delivering {} with {} route(s), rate {}, batches up to {} items / {} bytes",
                settings.name(), recordOnly ? "in DRY-RUN (requests are recorded, not sent)" : "live to " + connector.baseUrl(settings),
                routes.count(settings.name()), settings.rate(), settings.maxBatchItems(), settings.maxBatchBytes());
    }

    /** What a destination had under way when its stop began. */
    record Draining(int requestsInFlight, CompletableFuture<Void> drained) {
    }

    /**
     * Begins the stop: reads no more events, and finishes what is under way (see the class comment). The future
     * completes once no request is in flight and nothing begun waits to be sent.
     */
    Draining drain() throws InterruptedException {
        reader.stopReading();
        CompletableFuture<Void> settled = new CompletableFuture<>();
        CompletableFuture<Integer> inFlight = new CompletableFuture<>();
        onActor(() -> {
            drained = settled;
            if (!reader.givesBackOnlyUnsettled()) {
                // An event left unsent would make the log give back the settled events after it too: all are finished.
                lanes.values().forEach(lane -> lane.forEach(item -> item.ticket().begin()));
            }
            // The items of events not begun stay unsent: their lanes give them back to the log whole.
            for (java.util.Iterator<Batch> it = pending.iterator(); it.hasNext(); ) {
                Batch batch = it.next();
                batch.items.removeIf(item -> !item.ticket().begun());
                if (batch.items.isEmpty()) {
                    it.remove();
                }
            }
            for (Batcher batcher : batchers.values()) {
                batcher.removeIf(item -> !item.ticket().begun());
                flush(batcher);
            }
            inFlight.complete(requestsInFlight);
            pump();
        });
        try {
            return new Draining(inFlight.get(5, TimeUnit.SECONDS), settled);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException notRunning) {
            return new Draining(0, CompletableFuture.completedFuture(null));
        }
    }

    /**
     * The stop's deadline passed before {@link #drain} completed: says what was still under way, which is what the
     * vendor may receive again after the restart.
     */
    void reportTimeout(java.time.Duration timeout) throws InterruptedException {
        CompletableFuture<Void> reported = new CompletableFuture<>();
        onActor(() -> {
            LOG.warn("Destination {}: the shutdown timeout ({} s, bridge.shutdown.timeout) passed with {} vendor request(s) in "
                            + "flight, {} awaiting a lookup, {} batch(es) waiting to be sent and {} item(s) waiting for a retry: "
                            + "their events are not acknowledged and are delivered again after the restart, so the vendor may "
                            + "receive what was in flight twice", settings.name(), timeout.toSeconds(), requestsInFlight,
                    lookupsAwaited, pending.size() + batchers.values().stream().filter(batcher -> !batcher.items.isEmpty()).count(),
                    retriesWaiting);
            reported.complete(null);
        });
        try {
            reported.get(1, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("Destination {}: the shutdown timeout passed; what was in flight is delivered again after the restart",
                    settings.name());
        }
    }

    /**
     * Ends delivery: answers that arrive from now on are not read, and the reader acknowledges what was settled and
     * gives the rest back to the log.
     */
    void stop() throws InterruptedException {
        if (actor != null) {
            actor.shutdownNow();
            actor.awaitTermination(5, TimeUnit.SECONDS);
        }
        reader.stop();
    }

    // ---- from the queue (reader thread) ------------------------------------------------------------------------

    /**
     * Runs the destination's routes on a queued event. When the state store is unavailable (the person lookup, a
     * route's consent or identity step, parking or dead-lettering failed for that reason), the event is postponed
     * rather than dead-lettered: the reader hands it over again once the store may answer.
     */
    @Override
    public void onMessage(QueuedMessage message) {
        try (LogContext ignored = LogContext.with(LogContext.DESTINATION, settings.name())) {
            handle(message);
        } catch (Postponed postponed) {
            throw postponed;
        } catch (RuntimeException e) {
            if (StoreFailures.isUnavailable(e)) {
                throw new Postponed("the state store is unavailable (" + StoreFailures.describe(e) + ")", e);
            }
            throw e;
        }
    }

    private void handle(QueuedMessage message) {
        String json;
        JsonNode event;
        try {
            json = message.json();
            event = JSON.readTree(json);
        } catch (IOException e) {
            LOG.error("Destination {}: a queued message could not be read: {}", settings.name(), e.getMessage());
            reader.finished(message);
            return;
        }
        try (LogContext ignored = LogContext.with(LogContext.MESSAGE_ID, event.path("messageId").asText(""))) {
            handle(message, json, event);
        }
    }

    private void handle(QueuedMessage message, String json, JsonNode event) {
        // Checked before the person is looked up: an event this destination skips costs no query.
        if (disabledByIntegrations(event)) {
            metrics.skipped("integrations");
            reader.finished(message);
            return;
        }
        if (!observer.admits(event)) {
            metrics.skipped("erased");
            reader.finished(message);
            return;
        }
        Ticket ticket = ticketFor(message, json, event);
        // A replayed dead letter names an action to deliver again, or the failed route to run again alone.
        String replaying = message.replayAction();
        String onlyRoute = RouteFailure.routeNamedBy(replaying);
        List<RouteFailure> failures;
        try {
            failures = routes.run(ticket, onlyRoute);
        } catch (AwaitingIdentity waiting) {
            ticket.discardItems();
            park(ticket, waiting.getMessage());
            reader.finished(message);
            return;
        }
        for (RouteFailure failure : failures) {
            if (StoreFailures.isUnavailable(failure)) {
                throw failure; // not the event's fault: the whole event is postponed, not dead-lettered
            }
        }
        // Each failed route is dead-lettered on its own; what the other routes prepared is still delivered.
        failures.forEach(failure -> deadLetterUnsent(ticket, failure.deadLetterAction(), "route_failed", failure.getMessage()));
        // Any other dead letter (identity's) held the whole event back: all of it goes again.
        if (replaying != null && connector.actionNames().contains(replaying)) {
            ticket.keepOnly(replaying);
        }
        if (ticket.items().isEmpty()) {
            if (failures.isEmpty()) {
                metrics.eventsWithoutItems();
                tellObserver(ticket, "", DeliveryObserver.Settlement.NOT_ROUTED, 0,
                        "no route of " + settings.name() + " made a call for this event");
            }
            reader.finished(message);
            return;
        }
        ticket.startDelivery();
        onActor(() -> enqueue(ticket));
    }

    @Override
    public void sessionLost() {
        onActor(() -> {
            generation++;
            lanes.clear();
            batchers.clear();
            pending.clear();
            requestsInFlight = 0;
            lookupsAwaited = 0;
            retriesWaiting = 0;
            LOG.warn("Destination {}: queue session lost; unacknowledged events will be read again", settings.name());
        });
    }

    /** The event waits, durably, until its person's key is known; then it is queued for this destination again. */
    private void park(Ticket ticket, String why) {
        try {
            JsonNode event = ticket.event();
            IdentityStore.Person person = identity.findOrCreate(event.path("userId").asText(null), event.path("anonymousId").asText(null));
            pendingEvents.park(settings.name(), person.id(), ticket.messageId(), ticket.eventJson(), why);
            metrics.parked();
        } catch (RuntimeException e) {
            if (StoreFailures.isUnavailable(e)) {
                throw e; // postponed: the event waits once the store answers again
            }
            deadLetterUnsent(ticket, "identity", "wait_failed", "could not wait for the person's key (" + why + "): " + e.getMessage());
        }
    }

    /**
     * Segment's {@code integrations} flags: {@code "<Destination>": false} keeps the event from this destination. It is
     * also the origin marker of back-flow events, so what a vendor reported never goes back to that vendor.
     * {@code "All": false} alone does not count: events reach the bridge through Segment's Webhooks destination,
     * which such flags enable by name.
     */
    private boolean disabledByIntegrations(JsonNode event) {
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = event.path("integrations").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> flag = it.next();
            if (flag.getKey().equalsIgnoreCase(settings.name()) && flag.getValue().isBoolean() && !flag.getValue().asBoolean()) {
                return true;
            }
        }
        return false;
    }

    private Ticket ticketFor(QueuedMessage message, String json, JsonNode event) {
        String messageId = event.path("messageId").asText("");
        String userId = event.path("userId").asText(null);
        String anonymousId = event.path("anonymousId").asText(null);
        // Ordered by the resolved person, so a person's anonymous and identified events keep one order.
        String person = identity.personIdOf(userId, anonymousId)
                .orElse(firstNonBlank(userId, anonymousId, messageId));
        return new Ticket(settings.name(), event, json, person, message, observer.follows(event));
    }

    // ---- lanes and batches (actor thread) ----------------------------------------------------------------------

    private void enqueue(Ticket ticket) {
        for (DeliveryItem item : ticket.items()) {
            Deque<DeliveryItem> lane = lanes.computeIfAbsent(ticket.personKey(), person -> new ArrayDeque<>());
            lane.addLast(item);
            if (lane.size() == 1) {
                ready(item);
            }
        }
    }

    /** The item heads its person's lane: it may join a batch (when stopping, only an item of an event begun). */
    private void ready(DeliveryItem item) {
        if (drained != null && (!item.ticket().begun() || drained.isDone())) {
            return;
        }
        Action.BatchLimits limits = Batching.limits(item.action(), settings);
        if (!Batching.fits(0, item.bytes(), limits)) {
            deadLetter(item, 0, "too_large", "the item is " + item.bytes() + " bytes; a request to " + item.action().name()
                    + " may carry at most " + limits.maxBytes() + " bytes");
            return;
        }
        Batcher batcher = batchers.computeIfAbsent(item.batchKey(), key -> new Batcher(item.action(), item.item().group()));
        if (!Batching.fits(batcher.bytes, item.bytes(), limits)) {
            flush(batcher);
        }
        batcher.add(item);
        if (batcher.items.size() >= limits.maxItems() || drained != null) {
            flush(batcher);
            return;
        }
        sendIfIdle(batcher);
        if (batcher.items.size() == 1) {
            long round = batcher.round;
            long born = generation;
            schedule(settings.batchFlush(), () -> {
                if (born == generation && batcher.round == round && !batcher.items.isEmpty()) {
                    flush(batcher);
                }
            });
        }
    }

    private void flush(Batcher batcher) {
        if (batcher.items.isEmpty()) {
            return;
        }
        pending.addLast(new Batch(batcher.action, batcher.group, batcher.drain()));
        pump();
    }

    /**
     * Sends the pending batches the request limit and their pacers allow, oldest first, and wakes up when the earliest
     * of the others may go. A batch whose endpoint is paused does not hold up batches for other endpoints; a person
     * never has two batches pending, so skipping one cannot reorder anyone's events.
     */
    private void pump() {
        sendPending();
        if (lingers()) {
            // A copy: a request that cannot be built settles its items, whose lanes' next items may open batchers.
            new ArrayList<>(batchers.values()).forEach(this::sendIfIdle);
        }
        if (drained != null && !drained.isDone() && requestsInFlight == 0 && lookupsAwaited == 0 && pending.isEmpty()
                && batchers.values().stream().allMatch(batcher -> batcher.items.isEmpty())) {
            drained.complete(null);
            if (retriesWaiting > 0) {
                LOG.info("Destination {}: {} item(s) waiting for a retry are retried after the restart: their events go back to "
                        + "the log unsettled (what of them was delivered already may be sent again)", settings.name(), retriesWaiting);
            }
        }
    }

    private void sendPending() {
        Duration earliest = null;
        for (java.util.Iterator<Batch> it = pending.iterator(); it.hasNext(); ) {
            Batch next = it.next();
            if (recordOnly) {
                it.remove();
                record(next);
                continue;
            }
            if (requestsInFlight >= settings.maxConcurrentRequests()) {
                return;
            }
            Turn turn = turnFor(next.action);
            if (turn.permit() != null) {
                it.remove();
                send(next, turn.permit());
            } else {
                earliest = earliest == null || turn.retryIn().compareTo(earliest) < 0 ? turn.retryIn() : earliest;
            }
        }
        if (earliest != null) {
            pumpIn(earliest);
        }
    }

    /** Pumps again after {@code delay}, unless a pump is due sooner already. */
    private void pumpIn(Duration delay) {
        Instant due = Instant.now().plus(delay);
        if (pumpDue != null && !pumpDue.isAfter(due)) {
            return;
        }
        pumpDue = due;
        schedule(delay, () -> {
            if (due.equals(pumpDue)) {
                pumpDue = null;
            }
            pump();
        });
    }

    /** Whether batches may go before they are full or flushed (dry-run records them as they fill: nothing is in flight there). */
    private boolean lingers() {
        return !recordOnly && settings.batchLinger().compareTo(settings.batchFlush()) < 0;
    }

    /**
     * A batch goes before it is full or flushed once its first item has waited {@code batch.linger}, when nothing of its
     * action and group is in flight and the pacers give a permit at once. A quiet stream is then sent within the
     * linger, and a busy one fills its batches while the earlier requests are out, as full as the traffic makes them.
     * The linger bounds how many requests an idle endpoint gets (one per linger), whatever the vendor's answer time.
     * It spends no permit a fuller batch would have needed: when the window has no room, the batch keeps filling until
     * it is full or flushed.
     */
    private void sendIfIdle(Batcher batcher) {
        if (!lingers() || drained != null || batcher.items.isEmpty() || batcher.requestsInFlight > 0
                || requestsInFlight >= settings.maxConcurrentRequests()) {
            return;
        }
        Duration lingered = Duration.ofNanos(System.nanoTime() - batcher.openedNanos);
        if (lingered.compareTo(settings.batchLinger()) < 0) {
            pumpIn(settings.batchLinger().minus(lingered));
            return;
        }
        Turn turn = turnFor(batcher.action);
        if (turn.permit() != null) {
            send(new Batch(batcher.action, batcher.group, batcher.drain()), turn.permit());
        } else {
            // The batch keeps filling; when the window has room again, it goes with what it holds by then.
            pumpIn(turn.retryIn());
        }
    }

    /** A permit to send to an endpoint now, or else (permit null) how long until its pacers may have room. */
    private record Turn(RequestPacer.Permit permit, Duration retryIn) {
    }

    private Turn turnFor(Action action) {
        Instant now = Instant.now();
        RequestPacer endpointPacer = endpointPacers.get(action.name());
        Duration wait = destinationPacer.waitTime(now);
        if (endpointPacer != null) {
            Duration endpointWait = endpointPacer.waitTime(now);
            wait = endpointWait.compareTo(wait) > 0 ? endpointWait : wait;
        }
        if (!wait.isZero()) {
            return new Turn(null, wait);
        }
        // Refused though the wait read zero: the refusal taught the pacer its wait, read on the next pump.
        return takePermits(endpointPacer, now).map(permit -> new Turn(permit, Duration.ZERO))
                .orElseGet(() -> new Turn(null, Duration.ofMillis(1)));
    }

    /**
     * Takes the credential's permit and, for an endpoint with a rate of its own, the endpoint's: both or neither. The
     * endpoint's may be gone though its wait read zero (another destination on the credential, or another bridge,
     * took it meanwhile): the credential's permit then goes back unspent.
     */
    private Optional<RequestPacer.Permit> takePermits(RequestPacer endpointPacer, Instant now) {
        Duration longest = VendorTransport.longestExchange(settings);
        Optional<RequestPacer.Permit> credential = destinationPacer.tryTake(now, longest);
        if (credential.isEmpty() || endpointPacer == null) {
            return credential;
        }
        Optional<RequestPacer.Permit> endpoint = endpointPacer.tryTake(now, longest);
        if (endpoint.isEmpty()) {
            credential.get().giveBack();
        }
        return endpoint.map(credential.get()::and);
    }

    // ---- requests (actor thread; answers posted back to it) ----------------------------------------------------

    /** Sends the batch on its permit, which goes back unspent when no request could be built for it. */
    private void send(Batch batch, RequestPacer.Permit permit) {
        Instant now = Instant.now();
        batch.items.forEach(item -> item.attempted(now));
        OutboundRequest request;
        try {
            request = connector.authorize(batch.action.request(batch.group, batch.payloads(), settings), settings);
        } catch (AwaitingLookup awaiting) {
            permit.giveBack();
            batch.items.forEach(DeliveryItem::attemptNotCounted); // nothing was sent
            awaitLookup(batch, awaiting);
            return;
        } catch (TemporaryFailure e) {
            permit.giveBack();
            batch.items.forEach(item -> retry(item, Duration.ZERO, 0, e.getMessage()));
            return;
        } catch (RuntimeException e) {
            permit.giveBack();
            batch.items.forEach(item -> deadLetter(item, 0, "request_not_built", "the request could not be built: " + e.getMessage()));
            return;
        }
        metrics.batch(batch.action.name(), batch.items.size(), request.body().length);
        batch.items.forEach(item -> item.ticket().begin());
        requestsInFlight++;
        Batcher ofKey = batchers.get(batch.key());
        if (ofKey != null) {
            ofKey.requestsInFlight++;
        }
        long born = generation;
        long started = System.nanoTime();
        transport.send(request, settings, permit).whenComplete((answer, failure) -> onActor(() -> {
            if (born != generation) {
                return;
            }
            requestsInFlight--;
            if (ofKey != null) {
                ofKey.requestsInFlight--;
            }
            Duration latency = Duration.ofNanos(System.nanoTime() - started);
            if (failure != null) {
                metrics.vendorLatency(batch.action.name(), 0, latency);
                String reason = AwaitingLookup.failureOf(failure).getMessage();
                batch.items.forEach(item -> retry(item, Duration.ZERO, 0, reason));
            } else {
                metrics.vendorLatency(batch.action.name(), answer.status(), latency);
                answered(batch, answer);
            }
            pump();
        }));
    }

    /**
     * The batch's request needs a vendor lookup under way: the batch waits for it off this thread, neither in flight
     * nor pending, so the destination's other batches go on; its person's later items wait behind it as always. Once
     * the lookup answered, the batch is first in line again; when it failed, the items are settled as a request that
     * could not be built (retried when the failure passes, else dead-lettered).
     */
    private void awaitLookup(Batch batch, AwaitingLookup awaiting) {
        long born = generation;
        lookupsAwaited++;
        awaiting.lookup().whenComplete((found, failure) -> onActor(() -> {
            if (born != generation) {
                return;
            }
            lookupsAwaited--;
            if (drained != null) {
                // Stopping: the items of events not begun stay unsent (their lanes give them back to the log whole).
                batch.items.removeIf(item -> !item.ticket().begun());
                if (batch.items.isEmpty()) {
                    pump();
                    return;
                }
            }
            RuntimeException cause = failure == null ? null : AwaitingLookup.failureOf(failure);
            if (cause == null || cause instanceof AwaitingLookup) {
                pending.addFirst(batch);
                pump();
                return;
            }
            // A failed lookup counts as the attempt it kept from being sent, so it cannot be retried for ever.
            Instant now = Instant.now();
            batch.items.forEach(item -> item.attempted(now));
            if (cause instanceof TemporaryFailure) {
                batch.items.forEach(item -> retry(item, Duration.ZERO, 0, cause.getMessage()));
            } else {
                batch.items.forEach(item -> deadLetter(item, 0, "request_not_built", "the request could not be built: " + cause.getMessage()));
            }
            pump();
        }));
    }

    private void answered(Batch batch, VendorAnswer answer) {
        Instant now = Instant.now();
        // A vendor that limits each endpoint (Sailthru) pauses that endpoint alone; others pause the credential.
        RequestPacer limited = endpointPacers.getOrDefault(batch.action.name(), destinationPacer);
        if (answer.status() == 429) {
            metrics.rateLimited(batch.action.name());
            limited.pauseUntil(now.plus(answer.retryAfter(now).orElse(settings.initialDelay())));
        }
        if (answer.rateLimitRemaining().filter(remaining -> remaining <= 0).isPresent()) {
            answer.rateLimitReset(now).ifPresent(limited::pauseUntil);
        }
        List<Verdict> verdicts;
        try {
            verdicts = batch.action.read(answer, batch.payloads());
            if (verdicts.size() != batch.items.size()) {
                throw new IllegalStateException(verdicts.size() + " verdicts for " + batch.items.size() + " items");
            }
        } catch (RuntimeException e) {
            batch.items.forEach(item -> deadLetter(item, answer.status(), "unreadable_answer",
                    "the answer (HTTP " + answer.status() + ") could not be read: " + e.getMessage()));
            return;
        }
        // The vendor has the request; its events are not yet acknowledged on the destination's log.
        CrashPoints.pass("delivery.answered");
        List<DeliveryItem> toSplit = new ArrayList<>();
        for (int index = 0; index < verdicts.size(); index++) {
            DeliveryItem item = batch.items.get(index);
            Verdict verdict = verdicts.get(index);
            if (verdict instanceof Verdict.Retry retry) {
                retry(item, retry.notBefore(), answer.status(), retry.reason());
            } else if (verdict instanceof Verdict.Skipped skipped) {
                try (LogContext ignored = about(item)) {
                    LOG.info("Destination {}: skipped {} for messageId {}: {}", settings.name(), item.action().name(),
                            item.ticket().messageId(), Redaction.withoutEmails(skipped.reason()));
                }
                settled(item, DeliveryObserver.Settlement.SKIPPED, answer.status(), skipped.reason());
                delivered(item, DeliveryMetrics.Outcome.SKIPPED);
            } else if (verdict instanceof Verdict.Failed failed) {
                deadLetter(item, failed.status(), failed.code(), failed.message());
            } else if (verdict instanceof Verdict.SplitBatch split) {
                if (batch.items.size() == 1) {
                    deadLetter(item, split.status(), null, split.message());
                } else {
                    toSplit.add(item);
                }
            } else {
                settled(item, DeliveryObserver.Settlement.DELIVERED, answer.status(), "HTTP " + answer.status());
                delivered(item, DeliveryMetrics.Outcome.DELIVERED);
            }
        }
        if (!toSplit.isEmpty()) {
            toSplit.forEach(DeliveryItem::attemptNotCounted);
            int half = toSplit.size() / 2;
            pending.addFirst(new Batch(batch.action, batch.group, new ArrayList<>(toSplit.subList(half, toSplit.size()))));
            pending.addFirst(new Batch(batch.action, batch.group, new ArrayList<>(toSplit.subList(0, half))));
        }
    }

    // ---- outcomes (actor thread) -------------------------------------------------------------------------------

    private void record(Batch batch) {
        OutboundRequest request;
        try {
            OutboundRequest built = batch.action.request(batch.group, batch.payloads(), settings);
            request = connector.hasCredentials(settings) ? connector.authorize(built, settings) : built;
        } catch (AwaitingLookup awaiting) {
            awaitLookup(batch, awaiting);
            return;
        } catch (RuntimeException e) {
            batch.items.forEach(item -> deadLetter(item, 0, "request_not_built", "the request could not be built: " + e.getMessage()));
            return;
        }
        OutboundRequest shown = connector.masked(request);
        dryRun.record(new DryRunRecorder.Recorded(Instant.now(), settings.name(), batch.action.name(), batch.items.size(), shown));
        // One item's request is about that event; a batch's ids are too many for one line.
        try (LogContext ignored = batch.items.size() == 1 ? about(batch.items.get(0))
                : LogContext.with(LogContext.DESTINATION, settings.name(), LogContext.ACTION, batch.action.name())) {
            LOG.info("Destination {} (dry-run): {} {} with {} item(s)", settings.name(), shown.method(), shown.uri().getPath(),
                    batch.items.size());
        }
        batch.items.forEach(item -> {
            settled(item, DeliveryObserver.Settlement.RECORDED, 0, "dry-run: the request was recorded, not sent");
            delivered(item, DeliveryMetrics.Outcome.DRY_RUN);
        });
    }

    private void delivered(DeliveryItem item, DeliveryMetrics.Outcome outcome) {
        metrics.items(item.action().name(), outcome, 1);
        done(item);
    }

    private void retry(DeliveryItem item, Duration notBefore, int status, String reason) {
        try (LogContext ignored = about(item)) {
            retryOrGiveUp(item, notBefore, status, reason);
        }
    }

    private void retryOrGiveUp(DeliveryItem item, Duration notBefore, int status, String reason) {
        Instant now = Instant.now();
        Duration age = item.firstAttempt() == null ? Duration.ZERO : Duration.between(item.firstAttempt(), now);
        if (item.attempts() >= settings.maxAttempts() || age.compareTo(settings.maxAge()) > 0) {
            deadLetter(item, status, "retries_exhausted", "gave up after " + item.attempts() + " attempt(s) over "
                    + age.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "; last: " + reason);
            return;
        }
        metrics.items(item.action().name(), DeliveryMetrics.Outcome.RETRIED, 1);
        settled(item, DeliveryObserver.Settlement.RETRYING, status, reason);
        Duration delay = Duration.ofMillis(backoff.apply(item.attempts()));
        if (notBefore.compareTo(delay) > 0) {
            delay = notBefore;
        }
        LOG.debug("Destination {}: retrying {} of {} in {} ({})", settings.name(), item.action().name(), item.ticket().messageId(), delay,
                Redaction.withoutEmails(reason));
        long born = generation;
        retriesWaiting++;
        schedule(delay, () -> {
            if (born == generation) {
                retriesWaiting--;
                ready(item);
            }
        });
    }

    private void deadLetter(DeliveryItem item, int status, String code, String reason) {
        try (LogContext ignored = about(item)) {
            keepDeadLetter(item, status, code, reason);
        }
    }

    private void keepDeadLetter(DeliveryItem item, int status, String code, String reason) {
        try {
            deadLetters.add(settings.name(), item.action().name(), item.ticket().messageId(), item.ticket().eventJson(),
                    item.item().json(), item.attempts(), status, code, reason);
        } catch (RuntimeException e) {
            // Never acknowledge an event whose failure was not recorded: try to record it again shortly.
            LOG.error("Destination {}: could not store a dead letter ({}); trying again in 5 s", settings.name(),
                    Redaction.withoutEmails(e.getMessage()));
            long born = generation;
            schedule(Duration.ofSeconds(5), () -> {
                if (born == generation) {
                    deadLetter(item, status, code, reason);
                }
            });
            return;
        }
        LOG.warn("Destination {}: dead-lettered {} for messageId {} after {} attempt(s): {}", settings.name(),
                item.action().name(), item.ticket().messageId(), item.attempts(), Redaction.withoutEmails(reason));
        metrics.items(item.action().name(), DeliveryMetrics.Outcome.DEAD_LETTERED, 1);
        settled(item, DeliveryObserver.Settlement.DEAD_LETTERED, status, (code == null ? "" : code + ": ") + reason);
        done(item);
    }

    /**
     * What could not be prepared: the event is dead-lettered for one failed route (named {@code route:<id>}, so its
     * replay runs that route alone), or as a whole ({@code identity}) when it could not wait for its person's key.
     */
    private void deadLetterUnsent(Ticket ticket, String unsent, String code, String reason) {
        try (LogContext ignored = LogContext.with(LogContext.ROUTE, RouteFailure.routeNamedBy(unsent))) {
            keepUnsent(ticket, unsent, code, reason);
        }
    }

    private void keepUnsent(Ticket ticket, String unsent, String code, String reason) {
        deadLetters.add(settings.name(), unsent, ticket.messageId(), ticket.eventJson(), null, 0, 0, code, reason);
        LOG.warn("Destination {}: dead-lettered {} for messageId {}: {}", settings.name(), unsent, ticket.messageId(),
                Redaction.withoutEmails(reason));
        metrics.items(unsent, DeliveryMetrics.Outcome.DEAD_LETTERED, 1);
        tellObserver(ticket, unsent, DeliveryObserver.Settlement.DEAD_LETTERED, 0, code + ": " + reason);
    }

    private void settled(DeliveryItem item, DeliveryObserver.Settlement settlement, int status, String detail) {
        try (LogContext ignored = about(item)) {
            tellObserver(item.ticket(), item.action().name(), settlement, status, detail);
        } catch (RuntimeException e) {
            // What observes delivery must never stop it; the observer reports its own failures.
            LOG.error("Destination {}: an observer failed on {} of messageId {}: {}", settings.name(), item.action().name(),
                    item.ticket().messageId(), Redaction.withoutEmails(e.getMessage()));
        }
    }

    private void tellObserver(Ticket ticket, String action, DeliveryObserver.Settlement settlement, int status, String detail) {
        if (ticket.followed()) {
            observer.settled(settings.name(), action, ticket.event(), settlement, status, detail);
        }
    }

    /** The item is finished: its person's next item may go, and the event is acknowledged once all its items are. */
    private void done(DeliveryItem item) {
        item.ticket().begin();
        Deque<DeliveryItem> lane = lanes.get(item.ticket().personKey());
        if (lane != null) {
            lane.remove(item);
            if (lane.isEmpty()) {
                lanes.remove(item.ticket().personKey());
            } else {
                ready(lane.peekFirst());
            }
        }
        if (item.ticket().itemDone()) {
            reader.finished(item.ticket().queueMessage());
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    /** The log lines written meanwhile are about this item: its event, destination, route and action. */
    private LogContext about(DeliveryItem item) {
        return LogContext.with(LogContext.MESSAGE_ID, item.ticket().messageId(), LogContext.DESTINATION, settings.name(),
                LogContext.ROUTE, item.routeId(), LogContext.ACTION, item.action().name());
    }

    private void onActor(Runnable task) {
        try {
            actor.execute(task);
        } catch (RejectedExecutionException stopping) {
            // Stopping: what is unfinished stays unacknowledged and is read again on the next start.
        }
    }

    private void schedule(Duration delay, Runnable task) {
        try {
            // To the nanosecond: a delay cut to whole milliseconds wakes the pump a fraction early, to find nothing due.
            // Saturated, since a vendor's Retry-After may name a date centuries away, past what nanoseconds count.
            long nanos = delay.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE : delay.toNanos();
            actor.schedule(task, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopping) {
            // as above
        }
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return "";
    }

    /** Items waiting to fill one request of one action and group. */
    private static final class Batcher {
        final Action action;
        final String group;
        final List<DeliveryItem> items = new ArrayList<>();
        long bytes;
        long round;
        /** Requests of this action and group awaiting their answer. */
        int requestsInFlight;
        /** When the batch being filled got its first item ({@link System#nanoTime}). */
        long openedNanos;

        Batcher(Action action, String group) {
            this.action = action;
            this.group = group;
        }

        void add(DeliveryItem item) {
            if (items.isEmpty()) {
                openedNanos = System.nanoTime();
            }
            items.add(item);
            bytes += item.bytes() + 1;
        }

        void removeIf(java.util.function.Predicate<DeliveryItem> unwanted) {
            items.removeIf(unwanted);
            bytes = items.stream().mapToLong(item -> item.bytes() + 1).sum();
        }

        List<DeliveryItem> drain() {
            List<DeliveryItem> drained = new ArrayList<>(items);
            items.clear();
            bytes = 0;
            round++;
            return drained;
        }
    }

    /** One request's worth of items. */
    private record Batch(Action action, String group, List<DeliveryItem> items) {
        String key() {
            return DeliveryItem.batchKey(action, group);
        }

        List<Action.Item> payloads() {
            return items.stream().map(DeliveryItem::item).toList();
        }
    }
}
