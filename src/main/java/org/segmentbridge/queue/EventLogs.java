package org.segmentbridge.queue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.apache.camel.Service;

/**
 * The pipeline's durable logs, whichever engine keeps them: {@link EmbeddedBroker} (Artemis in this JVM, the default)
 * or Apache Kafka (cluster mode, several bridges). Started and stopped as a Camel service, before the routes and after
 * them.
 */
public interface EventLogs extends Service {

    IntakeLog intakeLog();

    EventQueue eventQueue();

    /** A reader of one destination's log; several bridges reading the same destination share its events. */
    DestinationReader destinationReader(String destination, int maxInFlight, DestinationReader.Listener listener);

    List<String> destinations();

    /** Empty while the logs can store events; otherwise why they cannot, in words for the operator. */
    Optional<String> unavailable();

    /** The local folder the logs write to, whose disk must keep a reserve; empty when they live elsewhere. */
    Optional<Path> localJournal();

    /** Records in the intake log that the processor has not taken yet (up to {@value IntakeLog#EVENTS_PER_RECORD} events each). */
    long intakeLogDepth();

    /** How long the oldest record in the intake log has waited for the processor, in milliseconds; 0 when none waits. */
    long intakeLogOldestAgeMillis();

    /** Events waiting in one destination's log. */
    long depth(String destination);

    /** How long the oldest event waiting in a destination's log has waited, in milliseconds; 0 when none waits. */
    long oldestAgeMillis(String destination);
}
