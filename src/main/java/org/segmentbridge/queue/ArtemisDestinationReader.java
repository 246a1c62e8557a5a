package org.segmentbridge.queue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one destination's subscription on the embedded broker and acknowledges each message on its own once the
 * destination is done with all of its events (a message carries a run of one processor batch), in any order. A crash
 * or a stop returns every unacknowledged message to the queue, the events of it already settled included.
 *
 * <p>The acknowledgements are transactional: each joins the session's transaction as its event settles, and the
 * transaction is committed {@value #COMMIT_EVERY_MILLIS} ms after the first of them. The events settled in those
 * milliseconds cost the journal one synced record together instead of one sync each. A crash loses at most their
 * acknowledgements, and those events are read and sent again, as an acknowledgement still on its way to the disk
 * always was. JMS cannot acknowledge single messages inside a transaction, so this reader uses Artemis' core API. Every
 * call on the session happens on this reader's own thread, as the session requires.
 */
final class ArtemisDestinationReader implements DestinationReader {

    private static final Logger LOG = LoggerFactory.getLogger(ArtemisDestinationReader.class);
    private static final long POLL_MILLIS = 20;
    /** How long settled events' acknowledgements may wait for one commit: the crash window of a resend. */
    static final long COMMIT_EVERY_MILLIS = 20;

    private final String destination;
    private final ServerLocator locator;
    private final int maxInFlight;
    private final Listener listener;
    /** Told how many events' acknowledgements each commit made durable. */
    private final LongConsumer acknowledgedEvents;
    /** One permit per event the destination holds unsettled. */
    private volatile Semaphore inFlight;
    private final BlockingQueue<Settling> finished = new LinkedBlockingQueue<>();
    /** Acknowledged in the session's transaction and not committed yet, and their events; the reader's thread only. */
    private int uncommitted;
    private long uncommittedEvents;
    private long commitDueNanos;
    private volatile boolean running;
    /** False once the stop began: no more events are handed over, settled ones are still acknowledged. */
    private volatile boolean reading;
    private final CountDownLatch handingOverStopped = new CountDownLatch(1);
    private Thread thread;

    /** @param locator the broker's in-VM server; the reader closes it when it stops */
    ArtemisDestinationReader(String destination, ServerLocator locator, int maxInFlight, Listener listener,
                             LongConsumer acknowledgedEvents) {
        this.destination = destination;
        this.locator = locator;
        this.maxInFlight = maxInFlight;
        this.listener = listener;
        this.acknowledgedEvents = acknowledgedEvents;
        this.inFlight = new Semaphore(maxInFlight);
    }

    @Override
    public void start() {
        running = true;
        reading = true;
        thread = new Thread(this::run, "subscription-" + destination);
        thread.start();
    }

    @Override
    public void stopReading() throws InterruptedException {
        reading = false;
        if (thread != null && thread.isAlive()) {
            handingOverStopped.await(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(10_000);
        }
        locator.close();
    }

    /** A message goes back whole, with those of its events that were settled before the stop. */
    @Override
    public boolean givesBackOnlyUnsettled() {
        return false;
    }

    @Override
    public void finished(QueuedMessage message) {
        Received received = (Received) message;
        received.settling().settledOne(received.holdsPermit(), finished);
    }

    /** One event of a message, as the destination reads it; it holds a permit unless handed over during a stop. */
    private record Received(String json, String replayAction, Settling settling, boolean holdsPermit) implements QueuedMessage {
    }

    /**
     * A message's events the destination has not settled, and the semaphore their permits were taken from; once none
     * is left, the message is for the reader's thread to acknowledge.
     */
    private static final class Settling {
        private final ClientMessage message;
        private final int events;
        private final AtomicInteger unsettled;
        private final Semaphore permitsOf;

        Settling(ClientMessage message, int events, Semaphore permitsOf) {
            this.message = message;
            this.events = events;
            this.unsettled = new AtomicInteger(events);
            this.permitsOf = permitsOf;
        }

        void settledOne(boolean heldPermit, BlockingQueue<Settling> finished) {
            if (heldPermit) {
                permitsOf.release();
            }
            if (unsettled.decrementAndGet() == 0) {
                finished.add(this);
            }
        }
    }

    private void run() {
        while (running) {
            // Acknowledgements go into the session's transaction (autoCommitAcks false); the reader sends nothing.
            try (ClientSessionFactory factory = locator.createSessionFactory();
                 ClientSession session = factory.createSession(false, true, false)) {
                ClientConsumer consumer = session.createConsumer(EmbeddedBroker.subscription(destination));
                session.start();
                uncommitted = 0;
                uncommittedEvents = 0;
                readUntilStopped(session, consumer);
                // Settled before the stop: acknowledged while the session is still open.
                acknowledgeFinished();
                commit(session);
                reportUnsettled();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                if (running) {
                    LOG.error("Reading the {} subscription failed; reconnecting in 1 s: {}", destination, e.getMessage());
                    sleepQuietly(1000);
                }
            }
            if (running) {
                // Whatever was held unacknowledged is redelivered by the broker on the next session.
                finished.clear();
                inFlight = new Semaphore(maxInFlight);
                listener.sessionLost();
            }
        }
        handingOverStopped.countDown();
    }

    private void readUntilStopped(ClientSession session, ClientConsumer consumer) throws ActiveMQException, InterruptedException {
        while (running) {
            acknowledgeFinished();
            if (reading && inFlight.tryAcquire()) {
                ClientMessage message = consumer.receive(pollMillis());
                if (message == null) {
                    inFlight.release();
                } else {
                    handOver(session, message);
                }
            } else {
                if (!reading) {
                    handingOverStopped.countDown();
                }
                acknowledge(finished.poll(pollMillis(), TimeUnit.MILLISECONDS));
            }
            commitIfDue(session);
        }
    }

    /**
     * Hands over a message's events in order, each once the destination has room for it: the first takes the permit
     * taken before the receive, the others wait for theirs while what settles meanwhile is acknowledged. Once a
     * message is begun, a stop that comes meanwhile does not cut it: its other events are handed over at once, for
     * the stop to finish with the rest of what the destination holds, since a message goes back only whole.
     */
    private void handOver(ClientSession session, ClientMessage message) throws ActiveMQException, InterruptedException {
        List<String> events = MessageBodies.events(message);
        Settling settling = new Settling(message, events.size(), inFlight);
        String replayAction = message.getStringProperty(EventQueue.REPLAY_ACTION_PROPERTY);
        HandOver.Meanwhile<ActiveMQException> acknowledging = pause -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause);
            for (long left = pause; running && left > 0; left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())) {
                acknowledgeSettledWithin(session, Math.min(left, pollMillis()));
            }
            return true;
        };
        for (int index = 0; index < events.size(); index++) {
            boolean begun = index > 0;
            boolean holdsPermit = !begun || awaitRoom(session, settling.permitsOf);
            BooleanSupplier handing = begun ? () -> running : () -> running && reading;
            Received event = new Received(events.get(index), replayAction, settling, holdsPermit);
            if (!HandOver.until(destination, listener, event, handing, acknowledging)) {
                // Stopping: the rest stays back too, and the message goes back to the log whole.
                return;
            }
        }
    }

    /** Takes a permit once one is free, acknowledging meanwhile; false when reading stops first (then it takes none). */
    private boolean awaitRoom(ClientSession session, Semaphore permits) throws ActiveMQException, InterruptedException {
        while (running && reading) {
            if (permits.tryAcquire()) {
                return true;
            }
            acknowledgeSettledWithin(session, pollMillis());
        }
        return false;
    }

    /** Acknowledges a message whose events settle within {@code millis}, and commits the acknowledgements once due. */
    private void acknowledgeSettledWithin(ClientSession session, long millis) throws ActiveMQException, InterruptedException {
        acknowledge(finished.poll(millis, TimeUnit.MILLISECONDS));
        commitIfDue(session);
    }

    /** A wait for a message or a settled event, which ends by the time the acknowledgements waiting are due. */
    private long pollMillis() {
        if (uncommitted == 0) {
            return POLL_MILLIS;
        }
        // At least 1: the core API's receive(0) waits for ever.
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(commitDueNanos - System.nanoTime()));
    }

    private void acknowledgeFinished() throws ActiveMQException {
        for (Settling done = finished.poll(); done != null; done = finished.poll()) {
            acknowledge(done);
        }
    }

    private void acknowledge(Settling done) throws ActiveMQException {
        if (done != null) {
            done.message.individualAcknowledge();
            uncommittedEvents += done.events;
            if (uncommitted++ == 0) {
                commitDueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COMMIT_EVERY_MILLIS);
            }
        }
    }

    private void commitIfDue(ClientSession session) throws ActiveMQException {
        if (uncommitted > 0 && System.nanoTime() - commitDueNanos >= 0) {
            commit(session);
        }
    }

    /** Makes the acknowledgements so far durable: one synced record for all of them. */
    private void commit(ClientSession session) throws ActiveMQException {
        if (uncommitted > 0) {
            session.commit();
            uncommitted = 0;
            acknowledgedEvents.accept(uncommittedEvents);
            uncommittedEvents = 0;
        }
    }

    private void reportUnsettled() {
        int unsettled = maxInFlight - inFlight.availablePermits();
        if (unsettled > 0) {
            LOG.info("Destination {}: {} event(s) not settled at the stop go back to the log and are read again on the next start",
                    destination, unsettled);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
