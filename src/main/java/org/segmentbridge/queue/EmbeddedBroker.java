package org.segmentbridge.queue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressFullMessagePolicy;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.camel.support.service.ServiceSupport;
import org.messaginghub.pooled.jms.JmsPoolConnectionFactory;

import jakarta.jms.ConnectionFactory;

/**
 * The durable logs between the stages: an Artemis broker inside this JVM (in-VM connections only) with a persistent
 * file journal under the data folder.
 * <ul>
 *   <li>The intake log, the anycast queue {@value #INTAKE_LOG}: the intake appends every accepted event to it and
 *       answers; the processor reads it.</li>
 *   <li>One log per destination: the processor publishes to the multicast address {@value #EVENTS_ADDRESS}, and each
 *       destination owns a durable queue bound to it, so every destination receives every event and one destination
 *       can stall without holding up the others. An event carrying {@value #ONLY_FOR_PROPERTY} reaches only the
 *       destination it names (each queue's filter says so), which lets one transaction publish to all and to one.</li>
 * </ul>
 * The queues are declared here rather than created by consumers so that events accepted before a consumer first runs
 * are kept for it.
 */
public class EmbeddedBroker extends ServiceSupport implements EventLogs {

    public static final String EVENTS_ADDRESS = "segment.events";
    /** Address and queue of the intake log. */
    public static final String INTAKE_LOG = "segment.intake";
    /** On an event published to {@value #EVENTS_ADDRESS}: the one destination whose log takes it. */
    public static final String ONLY_FOR_PROPERTY = "bridgeOnlyFor";
    /**
     * On a message published to {@value #EVENTS_ADDRESS}: how many events it carries (a run of one processor batch,
     * see {@link MessageBodies#writeEvents}). A message without it carries one event.
     */
    public static final String EVENTS_PROPERTY = "bridgeEvents";
    /** Destination names become queue names and filter literals: letters, digits, '-' and '_' only. */
    private static final java.util.regex.Pattern DESTINATION_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    /**
     * Where Artemis would move a message it gives up on or that expires. Neither happens (delivery attempts are
     * unlimited and events carry no expiry: delivery dead-letters by its own rules, into the state database), but
     * naming the addresses says so deliberately, and keeps Artemis from warning about their absence at every start.
     */
    static final String UNDELIVERABLE_ADDRESS = "segment.events.undeliverable";
    /** In-VM server ids are global to the JVM: each broker takes its own, so two bridges can share a JVM (tests). */
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_IN_VM_ID = new java.util.concurrent.atomic.AtomicInteger();

    /** How long the journal gathers writes before one sync (see where it is set). */
    private static final int JOURNAL_BUFFER_TIMEOUT_NANOS = 500_000;
    /**
     * What each log keeps of its messages in the heap before it pages the rest to disk. Artemis counts a message's
     * encoded size, and its objects take about three times that: 32 MB per log held over 140 MB of a 256 MB heap in a
     * {@code /v1/batch} flood and left the collector busy for a third of the CPU.
     */
    private static final long IN_MEMORY_BYTES = 8L * 1024 * 1024;
    /**
     * Paged messages are read back into the heap a page file at a time, up to these bounds per queue (Artemis' defaults
     * of 10 MB pages and 20 MB read per queue would put back on the heap what paging took off it).
     */
    private static final int PAGE_FILE_BYTES = 1024 * 1024;
    private static final int READ_FROM_PAGES_BYTES = 4 * 1024 * 1024;
    private static final int PREFETCH_FROM_PAGES_BYTES = 2 * 1024 * 1024;

    private final Path directory;
    private final List<String> destinations;
    private final String inVmUrl = "vm://" + NEXT_IN_VM_ID.getAndIncrement();
    private final JmsPoolConnectionFactory connectionFactory = new JmsPoolConnectionFactory();
    private EmbeddedActiveMQ embedded;
    private final ArtemisIntakeLog intakeLog;
    private final EventQueue eventQueue;
    private final DestinationDepths depths;

    private final long minDiskFreeBytes;
    /** Loading a large journal takes seconds; a broker still inactive after this will not become active by waiting. */
    private static final long ACTIVATION_TIMEOUT_SECONDS = 60;

    /**
     * @param minDiskFreeBytes Artemis blocks producers below this much free disk; the intake refuses requests well
     *                         before (see {@link QueueCapacity}), so this is only the last line
     */
    public EmbeddedBroker(Path dataDir, List<String> destinations, long minDiskFreeBytes) {
        if (destinations.isEmpty()) {
            throw new IllegalArgumentException("Setting bridge.destinations is empty: name at least one destination");
        }
        for (String destination : destinations) {
            if (!DESTINATION_NAME.matcher(destination).matches()) {
                throw new IllegalArgumentException("Setting bridge.destinations: '" + destination
                        + "' is not a usable destination name; use letters, digits, '-' and '_'");
            }
        }
        this.directory = dataDir.resolve("queue").toAbsolutePath();
        this.destinations = List.copyOf(destinations);
        this.minDiskFreeBytes = minDiskFreeBytes;
        connectionFactory.setConnectionFactory(new ActiveMQConnectionFactory(inVmUrl));
        this.depths = new DestinationDepths(this.destinations);
        this.intakeLog = new ArtemisIntakeLog(directConnectionFactory(), depths);
        this.eventQueue = new ArtemisEventQueue(connectionFactory, depths);
    }

    @Override
    public IntakeLog intakeLog() {
        return intakeLog;
    }

    @Override
    public EventQueue eventQueue() {
        return eventQueue;
    }

    @Override
    public DestinationReader destinationReader(String destination, int maxInFlight, DestinationReader.Listener listener) {
        try {
            return new ArtemisDestinationReader(destination, ActiveMQClient.createServerLocator(inVmUrl), maxInFlight, listener,
                    events -> depths.acknowledged(destination, events));
        } catch (Exception e) {
            throw new EventQueue.QueueUnavailableException(e);
        }
    }

    @Override
    public Optional<String> unavailable() {
        return isHealthy() ? Optional.empty() : Optional.of("the embedded queue broker is not active");
    }

    @Override
    public Optional<Path> localJournal() {
        return Optional.of(directory);
    }

    /** An unpooled factory, for the intake log's long-lived sessions (the group commit's and each reader's). */
    private ConnectionFactory directConnectionFactory() {
        return new ActiveMQConnectionFactory(inVmUrl);
    }

    /** Pooled in-VM connections to this broker, for the intake and for Camel's JMS consumers. */
    public ConnectionFactory connectionFactory() {
        return connectionFactory;
    }

    /** The JMS name a consumer uses for one destination's subscription (Artemis fully qualified queue name). */
    public static String subscription(String destination) {
        return EVENTS_ADDRESS + "::" + destination;
    }

    @Override
    protected void doStart() throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("segment-bridge")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJMXManagementEnabled(false)
                .setJournalType(JournalType.NIO)
                .setJournalDirectory(directory.resolve("journal").toString())
                .setBindingsDirectory(directory.resolve("bindings").toString())
                .setPagingDirectory(directory.resolve("paging").toString())
                .setLargeMessagesDirectory(directory.resolve("large-messages").toString())
                .setNodeManagerLockDirectory(directory.toString())
                .addAcceptorConfiguration("in-vm", inVmUrl);
        // Transactions are synced to disk before commit returns: that sync is what "stored before 200" rests on.
        config.setJournalSyncTransactional(true);
        config.setJournalSyncNonTransactional(true);
        // The journal gathers writes this long before one sync (3.33 ms by default on NIO). Every writer already
        // batches: the intake's group commit, the processor's transactions, the destinations' acknowledgements (one
        // transaction per ArtemisDestinationReader.COMMIT_EVERY_MILLIS). So the gathering only adds to each wait.
        config.setJournalBufferTimeout_NIO(JOURNAL_BUFFER_TIMEOUT_NANOS);
        // The same for a log that pages: a commit that wrote to a page file waits for the page sync timer, which stays
        // at NIO's 3.33 ms unless set. A log pages whenever its reader is 8 MB behind (the processor behind a flood of
        // single events or paused by a state-store outage, a destination behind its vendor's limit), and then every
        // commit of its writer waited that long: the intake's group commit took 5.5 ms a group and /v1/track fell to
        // about half its rate (docs/benchmarks-history.md, "a paging log's sync").
        config.setPageSyncTimeout(JOURNAL_BUFFER_TIMEOUT_NANOS);
        // An absolute reserve instead of the default 90 % of the disk, which on a large disk blocks with gigabytes free
        // and on a small one too late.
        config.setMaxDiskUsage(-1);
        config.setMinDiskFree(minDiskFreeBytes);
        config.addAddressSetting(EVENTS_ADDRESS, durableLog());
        config.addAddressSetting(INTAKE_LOG, durableLog());
        config.addQueueConfiguration(QueueConfiguration.of(INTAKE_LOG)
                .setAddress(INTAKE_LOG)
                .setRoutingType(RoutingType.ANYCAST)
                .setDurable(true));
        for (String destination : destinations) {
            config.addQueueConfiguration(destinationLog(destination));
        }
        embedded = new EmbeddedActiveMQ().setConfiguration(config);
        embedded.start();
        // Activation (journal load, file lock) can end in an error that Artemis only logs, leaving a server that never
        // becomes active: starting must not report success then, or the intake would refuse every event unexplained.
        if (!embedded.getActiveMQServer().waitForActivation(ACTIVATION_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("The embedded queue broker did not become active within " + ACTIVATION_TIMEOUT_SECONDS
                    + " s (journal in " + directory + "); Artemis' log above says why");
        }
        // A queue kept from an earlier version keeps its old filter through a restart: set the current one.
        for (String destination : destinations) {
            embedded.getActiveMQServer().updateQueue(destinationLog(destination));
            depths.startAt(destination, eventsIn(embedded.getActiveMQServer().locateQueue(SimpleString.of(destination))));
        }
        connectionFactory.start();
    }

    /**
     * Both logs: a stalled reader pages its backlog to disk instead of filling the heap; the processor and delivery
     * give up by their own rules, into their own dead letters, so the broker must never drop an event.
     */
    private static AddressSettings durableLog() {
        return new AddressSettings()
                .setMaxSizeBytes(IN_MEMORY_BYTES)
                .setPageSizeBytes(PAGE_FILE_BYTES)
                .setMaxReadPageBytes(READ_FROM_PAGES_BYTES)
                .setPrefetchPageBytes(PREFETCH_FROM_PAGES_BYTES)
                .setAddressFullMessagePolicy(AddressFullMessagePolicy.PAGE)
                .setMaxDeliveryAttempts(-1)
                .setDeadLetterAddress(SimpleString.of(UNDELIVERABLE_ADDRESS))
                .setExpiryAddress(SimpleString.of(UNDELIVERABLE_ADDRESS))
                .setAutoCreateQueues(false)
                .setAutoDeleteQueues(false);
    }

    private static QueueConfiguration destinationLog(String destination) {
        return QueueConfiguration.of(destination)
                .setAddress(EVENTS_ADDRESS)
                .setRoutingType(RoutingType.MULTICAST)
                .setFilterString(ONLY_FOR_PROPERTY + " IS NULL OR " + ONLY_FOR_PROPERTY + " = '" + destination + "'")
                .setDurable(true);
    }

    @Override
    protected void doStop() throws Exception {
        intakeLog.disconnect();
        connectionFactory.stop();
        if (embedded != null) {
            embedded.stop();
            embedded = null;
        }
    }

    @Override
    public List<String> destinations() {
        return destinations;
    }

    public boolean isHealthy() {
        // Until the broker has started there is no server yet: not healthy, rather than a failed health check.
        ActiveMQServer server = embedded == null ? null : embedded.getActiveMQServer();
        return server != null && server.isActive();
    }

    /**
     * How long the oldest event still waiting in a destination's subscription has waited, in milliseconds; 0 when
     * none waits. Events that delivery holds (batching, retrying) are not counted: they are in its own metrics.
     */
    @Override
    public long oldestAgeMillis(String destination) {
        Queue queue = located(destination);
        org.apache.activemq.artemis.core.server.MessageReference first = queue == null ? null : queue.peekFirstMessage();
        if (first == null) {
            return 0;
        }
        return Math.max(0, System.currentTimeMillis() - first.getMessage().getTimestamp());
    }

    /** Events waiting in one destination's subscription (delivered but unacknowledged ones included). */
    @Override
    public long depth(String destination) {
        return depths.depth(destination);
    }

    /** The events a log holds, paged ones included: at the start, before anything reads or writes it. */
    private static long eventsIn(Queue queue) {
        long events = 0;
        try (var messages = queue.browserIterator()) {
            while (messages.hasNext()) {
                events += MessageBodies.eventsCarried(messages.next().getMessage());
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not count the events in " + queue.getName() + ": " + e.getMessage(), e);
        }
        return events;
    }

    /** The events a message on a destination's log carries, in order (for tools and tests that browse a log). */
    public static List<String> eventsOf(jakarta.jms.Message message) throws jakarta.jms.JMSException {
        return MessageBodies.events(message);
    }

    /**
     * Appends in the intake log that the processor has not yet taken (those it holds in a batch included). Each append
     * is one message, so the broker's count is the answer; the destinations' logs need {@link DestinationDepths}.
     */
    @Override
    public long intakeLogDepth() {
        Queue queue = located(INTAKE_LOG);
        return queue == null ? 0 : queue.getMessageCount();
    }

    /** A queue of the running server; null before it is active, which has no post office to look in yet. */
    private Queue located(String name) {
        ActiveMQServer server = embedded == null ? null : embedded.getActiveMQServer();
        return server == null || !server.isActive() ? null : server.locateQueue(SimpleString.of(name));
    }

    /** How long the oldest event in the intake log has waited for the processor, in milliseconds; 0 when none waits. */
    @Override
    public long intakeLogOldestAgeMillis() {
        return oldestAgeMillis(INTAKE_LOG);
    }
}
