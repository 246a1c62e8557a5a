package org.segmentbridge.delivery;

import org.segmentbridge.deadletters.DeadLetters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.identity.PendingEvents;
import org.segmentbridge.queue.EventLogs;
import org.segmentbridge.queue.IntakeLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one {@link DestinationDelivery} per destination that has a connector and routes, once every route is up
 * (an event read before its routes exist would find nothing to do), and stops them before the routes stop.
 */
public final class DeliveryService {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryService.class);

    private final CamelContext camel;
    private final List<String> destinations;
    private final EventLogs logs;
    private final EventRoutes routes;
    private final IdentityStore identity;
    private final PendingEvents pendingEvents;
    private final DeadLetters deadLetters;
    private final DryRunRecorder dryRun;
    private final DeliveryObserver observer;
    private final VendorTransport transport;
    private final boolean sharedPacing;
    private final Map<String, Prepared> prepared = new LinkedHashMap<>();
    private final Map<String, DestinationDelivery> running = new LinkedHashMap<>();

    public DeliveryService(CamelContext camel, List<String> destinations, EventLogs logs, EventRoutes routes, IdentityStore identity,
                           PendingEvents pendingEvents, DeadLetters deadLetters, DryRunRecorder dryRun, DeliveryObserver observer,
                           Pacers pacers) {
        this.camel = camel;
        this.destinations = destinations;
        this.logs = logs;
        this.routes = routes;
        this.identity = identity;
        this.pendingEvents = pendingEvents;
        this.deadLetters = deadLetters;
        this.dryRun = dryRun;
        this.observer = observer;
        this.transport = new VendorTransport(camel, pacers);
        this.sharedPacing = pacers.shared();
        try {
            // Started and stopped with the context, which stops it after the routes and delivery.
            camel.addService(transport);
        } catch (Exception e) {
            throw new IllegalStateException("the vendor transport could not be added to Camel: " + e.getMessage(), e);
        }
    }

    /**
     * Reads every served destination's settings, so a bad value stops the start-up with its key. Called while the
     * context is configured, before any route runs.
     */
    public synchronized void prepare() {
        SettingsReader reader = new SettingsReader(camel.getPropertiesComponent());
        for (String destination : destinations) {
            Connector connector = connectorOf(destination);
            if (connector == null) {
                LOG.warn("Destination {} has no connector yet: its events stay in its queue", destination);
                continue;
            }
            connector.useTransport(transport);
            prepared.put(destination, new Prepared(connector, new DestinationSettings(destination, reader)));
        }
    }

    /** The destination's connector: the one bound under the destination's name, as {@code deliver:<name>:...} finds it. */
    private Connector connectorOf(String destination) {
        return camel.getRegistry().lookupByNameAndType(destination, Connector.class);
    }

    /** The prepared destinations and their connectors, for tools that preview requests. */
    public Map<String, Connector> connectors() {
        Map<String, Connector> connectors = new LinkedHashMap<>();
        prepared.forEach((destination, ready) -> connectors.put(destination, ready.connector()));
        return connectors;
    }

    public DestinationSettings settingsOf(String destination) {
        return prepared.get(destination).settings();
    }

    /**
     * Why a destination sends nothing to its vendor, or empty when it sends: a route setting it lacks then stops the
     * start, where for an idle destination it only warns.
     */
    public Optional<String> idleBecause(String destination) {
        Prepared ready = prepared.get(destination);
        if (ready == null) {
            return Optional.of("destination " + destination + " has no connector");
        }
        if (!ready.settings().enabled()) {
            return Optional.of("destination " + destination + " is disabled");
        }
        if (ready.settings().recordsOnly(ready.connector())) {
            return Optional.of("destination " + destination + " runs in dry-run");
        }
        return Optional.empty();
    }

    /** Starts delivery for every prepared destination that has routes; called once all routes are started. */
    public synchronized void start() {
        MeterRegistry meters = camel.getRegistry().findSingleByType(MeterRegistry.class);
        if (sharedPacing) {
            LOG.info("Rate limits and vendor pauses are shared with every bridge on the PostgreSQL state database");
        }
        prepared.forEach((destination, ready) -> {
            if (routes.count(destination) == 0) {
                LOG.warn("Destination {} has no route (from: events:{}): its events stay in its queue; "
                        + "remove it from bridge.destinations if it is not used", destination, destination);
                return;
            }
            if (!ready.settings().enabled()) {
                LOG.warn("Destination {} is disabled (bridge.destination.{}.enabled=false): its events stay in its queue",
                        destination, destination);
                return;
            }
            DestinationDelivery delivery = new DestinationDelivery(ready.settings(), ready.connector(), routes, identity,
                    pendingEvents, deadLetters, dryRun, new DeliveryMetrics(meters, destination), observer, transport, logs);
            Gauge.builder("bridge.dead.letters", () -> deadLetters.count(destination))
                    .description("Dead letters kept for a destination").tag("destination", destination).register(meters);
            Gauge.builder("bridge.delivery.paused.seconds", delivery, DestinationDelivery::pausedSeconds)
                    .description("How long the vendor still holds the destination off (429 Retry-After, rate-limit headers); 0 when not paused")
                    .tag("destination", destination).register(meters);
            if (!delivery.isDryRun()) {
                transport.open(ready.connector().baseUrl(ready.settings()), ready.settings());
            }
            delivery.start();
            running.put(destination, delivery);
        });
    }

    private record Prepared(Connector connector, DestinationSettings settings) {
    }

    /**
     * How a destination delivers, for operators.
     *
     * @param mode           {@code live}, {@code dry-run}, or {@code stopped} (then {@code why} says why)
     * @param pausedUntil    when the vendor's latest pause of the destination's credential ends, if it has not yet
     * @param endpointPauses the same for the actions paced on their own endpoint (Iterable's, Sailthru's), by action
     */
    public record DestinationStatus(String destination, String mode, Optional<String> why, Optional<java.time.Instant> pausedUntil,
                                    Map<String, java.time.Instant> endpointPauses) {
    }

    /** Each configured destination's status, in the order of bridge.destinations. */
    public synchronized List<DestinationStatus> statuses() {
        java.time.Instant now = java.time.Instant.now();
        List<DestinationStatus> statuses = new ArrayList<>();
        for (String destination : destinations) {
            DestinationDelivery delivery = running.get(destination);
            if (delivery == null) {
                Optional<String> why = idleBecause(destination)
                        .or(() -> Optional.of(routes.count(destination) == 0 ? "destination " + destination + " has no route"
                                : "delivery has not started"));
                statuses.add(new DestinationStatus(destination, "stopped", why, Optional.empty(), Map.of()));
            } else {
                statuses.add(new DestinationStatus(destination, delivery.isDryRun() ? "dry-run" : "live", Optional.empty(),
                        delivery.credentialPausedUntil().filter(now::isBefore), delivery.endpointPausesAfter(now)));
            }
        }
        return statuses;
    }

    /**
     * The bridge's graceful stop: every destination reads no more events and settles those it began (their requests
     * in flight answered and read, acknowledged on the log, dead-lettered or recorded), all within {@code timeout};
     * then delivery ends. What is not settled by then goes back to the log, and only what was in flight at the timeout
     * may reach a vendor twice.
     */
    public synchronized void stop(Duration timeout) {
        long started = System.nanoTime();
        Instant deadline = Instant.now().plus(timeout);
        Map<DestinationDelivery, DestinationDelivery.Draining> draining = new LinkedHashMap<>();
        try {
            for (DestinationDelivery delivery : running.values()) {
                draining.put(delivery, delivery.drain());
            }
            LOG.info("Stopping delivery: no more events are read; waiting up to {} s for {} vendor request(s) in flight, "
                            + "and the events they belong to, to be settled", timeout.toSeconds(),
                    draining.values().stream().mapToInt(DestinationDelivery.Draining::requestsInFlight).sum());
            for (Map.Entry<DestinationDelivery, DestinationDelivery.Draining> destination : draining.entrySet()) {
                if (!drainedBy(destination.getValue(), deadline)) {
                    destination.getKey().reportTimeout(timeout);
                }
            }
            for (DestinationDelivery delivery : running.values()) {
                delivery.stop();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running.clear();
        LOG.info("Delivery stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Whether the destination's drain ended by the deadline (its future only ever completes normally). */
    private static boolean drainedBy(DestinationDelivery.Draining draining, Instant deadline) throws InterruptedException {
        try {
            draining.drained().get(Math.max(0, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        }
    }

    /** The one way to the vendors, for calls outside delivery (the engagement backfill). */
    public VendorTransport transport() {
        return transport;
    }

    public DeadLetters deadLetters() {
        return deadLetters;
    }

    public DryRunRecorder dryRun() {
        return dryRun;
    }

    /**
     * Queues a dead letter's event again for its destination alone, then forgets the dead letter. Only what it names
     * runs again: its action's items, or its failed route ({@code route:<id>}), so what was delivered is not resent.
     */
    public void replay(DeadLetters.DeadLetter letter) {
        IntakeLog.Entry event = IntakeLog.Entry.parse(letter.event());
        if (DeadLetters.PROCESSOR.equals(letter.destination())) {
            // The processor failed on it before it had a destination: it goes through the processor again.
            IntakeLog.await(logs.intakeLog().append(List.of(event), "replay", IntakeLog.Kind.valueOf(letter.action()), java.time.Instant.now()));
        } else if (destinations.contains(letter.destination())) {
            logs.eventQueue().republish(letter.destination(), event, letter.action());
        } else {
            // Published for a destination that has no log, it would reach no queue: keep it instead, and say why.
            throw new IllegalArgumentException("dead letter " + letter.id() + " is for destination '" + letter.destination()
                    + "', which is not in bridge.destinations " + destinations + "; add it back to replay the letter, or discard it");
        }
        deadLetters.remove(letter.id());
    }

    /** Replays every dead letter (of one destination, or of all when null); returns how many. */
    public int replayAll(String destination) {
        return replayAll(DeadLetters.Filter.destination(destination));
    }

    /** Replays every dead letter the filter selects; returns how many. */
    public int replayAll(DeadLetters.Filter filter) {
        int replayed = 0;
        List<DeadLetters.DeadLetter> batch;
        do {
            batch = new ArrayList<>(deadLetters.list(filter, 500));
            for (DeadLetters.DeadLetter letter : batch) {
                replay(letter);
                replayed++;
            }
        } while (!batch.isEmpty());
        return replayed;
    }
}
