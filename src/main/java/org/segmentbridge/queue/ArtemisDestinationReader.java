package org.segmentbridge.queue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.jms.ActiveMQJMSConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one destination's subscription on the embedded broker and acknowledges each message on its own once the
 * destination is done with it, in any order. A crash or a stop returns every unacknowledged message to the queue. Every
 * JMS call happens on this reader's own thread, as JMS sessions require.
 */
final class ArtemisDestinationReader implements DestinationReader {

    private static final Logger LOG = LoggerFactory.getLogger(ArtemisDestinationReader.class);
    private static final long POLL_MILLIS = 20;

    private final String destination;
    private final ConnectionFactory connectionFactory;
    private final int maxInFlight;
    private final Listener listener;
    private volatile Semaphore inFlight;
    private final BlockingQueue<Message> finished = new LinkedBlockingQueue<>();
    private volatile boolean running;
    /** False once the stop began: no more events are handed over, settled ones are still acknowledged. */
    private volatile boolean reading;
    private final CountDownLatch handingOverStopped = new CountDownLatch(1);
    private Thread thread;

    ArtemisDestinationReader(String destination, ConnectionFactory connectionFactory, int maxInFlight, Listener listener) {
        this.destination = destination;
        this.connectionFactory = connectionFactory;
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

    /** A JMS message as the destination reads it. */
    private record Received(Message message, String json, String replayAction) implements QueuedMessage {
        static Received of(Message message) throws JMSException {
            return new Received(message, ((TextMessage) message).getText(), message.getStringProperty(EventQueue.REPLAY_ACTION_PROPERTY));
        }
    }

    private void run() {
        while (running) {
            try (Connection connection = connectionFactory.createConnection()) {
                Session session = connection.createSession(false, ActiveMQJMSConstants.INDIVIDUAL_ACKNOWLEDGE);
                MessageConsumer consumer = session.createConsumer(session.createQueue(EmbeddedBroker.subscription(destination)));
                connection.start();
                readUntilStopped(consumer);
                // Settled before the stop: acknowledged while the session is still open.
                acknowledgeFinished();
                reportUnsettled();
            } catch (JMSException | RuntimeException e) {
                if (running) {
                    LOG.error("Reading the {} subscription failed; reconnecting in 1 s: {}", destination, e.getMessage());
                    sleepQuietly(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
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

    private void readUntilStopped(MessageConsumer consumer) throws JMSException, InterruptedException {
        while (running) {
            acknowledgeFinished();
            if (reading && inFlight.tryAcquire()) {
                Message message = consumer.receive(POLL_MILLIS);
                if (message == null) {
                    inFlight.release();
                } else {
                    handOver(message);
                }
            } else {
                if (!reading) {
                    handingOverStopped.countDown();
                }
                acknowledge(finished.poll(POLL_MILLIS, TimeUnit.MILLISECONDS));
            }
        }
    }

    private void handOver(Message message) throws JMSException, InterruptedException {
        HandOver.until(destination, listener, Received.of(message), () -> running && reading, pause -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause);
            for (long left = pause; running && left > 0; left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())) {
                acknowledge(finished.poll(Math.min(left, POLL_MILLIS), TimeUnit.MILLISECONDS));
            }
            return true;
        });
    }

    private void acknowledgeFinished() throws JMSException {
        for (Message done = finished.poll(); done != null; done = finished.poll()) {
            acknowledge(done);
        }
    }

    private void acknowledge(Message done) throws JMSException {
        if (done != null) {
            done.acknowledge();
            inFlight.release();
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
