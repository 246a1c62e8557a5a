package org.segmentbridge.queue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

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
 * destination is done with it, in any order. A crash or a stop returns every unacknowledged message to the queue.
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
    private volatile Semaphore inFlight;
    private final BlockingQueue<ClientMessage> finished = new LinkedBlockingQueue<>();
    /** Acknowledged in the session's transaction and not committed yet; the reader's thread only. */
    private int uncommitted;
    private long commitDueNanos;
    private volatile boolean running;
    /** False once the stop began: no more events are handed over, settled ones are still acknowledged. */
    private volatile boolean reading;
    private final CountDownLatch handingOverStopped = new CountDownLatch(1);
    private Thread thread;

    /** @param locator the broker's in-VM server; the reader closes it when it stops */
    ArtemisDestinationReader(String destination, ServerLocator locator, int maxInFlight, Listener listener) {
        this.destination = destination;
        this.locator = locator;
        this.maxInFlight = maxInFlight;
        this.listener = listener;
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

    /** Each message is acknowledged on its own. */
    @Override
    public boolean givesBackOnlyUnsettled() {
        return true;
    }

    @Override
    public void finished(QueuedMessage message) {
        finished.add(((Received) message).message());
    }

    /** A message as the destination reads it. */
    private record Received(ClientMessage message, String json, String replayAction) implements QueuedMessage {
        static Received of(ClientMessage message) {
            return new Received(message, MessageBodies.text(message),
                    message.getStringProperty(EventQueue.REPLAY_ACTION_PROPERTY));
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

    private void handOver(ClientSession session, ClientMessage message) throws ActiveMQException, InterruptedException {
        HandOver.until(destination, listener, Received.of(message), () -> running && reading, pause -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause);
            for (long left = pause; running && left > 0; left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())) {
                acknowledge(finished.poll(Math.min(left, pollMillis()), TimeUnit.MILLISECONDS));
                commitIfDue(session);
            }
            return true;
        });
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
        for (ClientMessage done = finished.poll(); done != null; done = finished.poll()) {
            acknowledge(done);
        }
    }

    private void acknowledge(ClientMessage done) throws ActiveMQException {
        if (done != null) {
            done.individualAcknowledge();
            if (uncommitted++ == 0) {
                commitDueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COMMIT_EVERY_MILLIS);
            }
            inFlight.release();
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
