package org.segmentbridge;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.CamelEvent;
import org.segmentbridge.admin.AdminRoutes;
import org.segmentbridge.admin.ConfigurationRoutes;
import org.segmentbridge.admin.DestinationRoutes;
import org.segmentbridge.admin.PeopleRoutes;
import org.segmentbridge.api.ApiDescriptionRoutes;
import org.segmentbridge.console.ConsoleRoutes;
import org.segmentbridge.deadletters.DeadLetters;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DeliverComponent;
import org.segmentbridge.delivery.DeliveryService;
import org.segmentbridge.delivery.DryRunRecorder;
import org.segmentbridge.delivery.EventRoutes;
import org.segmentbridge.delivery.EventsComponent;
import org.segmentbridge.delivery.Pacers;
import org.segmentbridge.delivery.ParsedEventJsonPath;
import org.segmentbridge.delivery.RouteWarnings;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.identity.CrossingComponent;
import org.segmentbridge.identity.IdentityComponent;
import org.segmentbridge.identity.IdentityRoutes;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.identity.PendingEvents;
import org.segmentbridge.identity.ThresholdCrossings;
import org.segmentbridge.intake.AsyncRouteHttpEngine;
import org.segmentbridge.intake.GatedHttpServerFactory;
import org.segmentbridge.intake.IntakeAdmission;
import org.segmentbridge.intake.IntakeRoutes;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.mapping.Mappings;
import org.segmentbridge.observe.HealthMetric;
import org.segmentbridge.observe.LogFormat;
import org.segmentbridge.privacy.ConsentChanges;
import org.segmentbridge.privacy.ConsentComponent;
import org.segmentbridge.privacy.ErasureSteps;
import org.segmentbridge.privacy.Erasures;
import org.segmentbridge.privacy.Privacy;
import org.segmentbridge.privacy.PrivacyAudit;
import org.segmentbridge.admin.PrivacyRoutes;
import org.segmentbridge.privacy.SuppressionStore;
import org.segmentbridge.queue.EmbeddedBroker;
import org.segmentbridge.queue.EventLogs;
import org.segmentbridge.queue.KafkaEventLogs;
import org.segmentbridge.queue.KafkaSettings;
import org.segmentbridge.queue.EventQueue;
import org.segmentbridge.queue.IntakeLog;
import org.segmentbridge.processor.MessageMarks;
import org.segmentbridge.processor.Processor;
import org.segmentbridge.processor.ProcessorHealthCheck;
import org.segmentbridge.processor.ProcessorRoutes;
import org.segmentbridge.state.ClusteredScheduler;
import org.segmentbridge.state.DataDirLock;
import org.segmentbridge.state.StateDialect;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.state.StateStoreHealthCheck;
import org.segmentbridge.queue.QueueCapacity;
import org.segmentbridge.queue.QueueCapacityHealthCheck;
import org.segmentbridge.queue.QueueHealthCheck;
import org.segmentbridge.vendor.ContextEvents;
import org.segmentbridge.vendor.Vendor;
import org.segmentbridge.vendor.VendorContext;
import org.segmentbridge.vendor.Vendors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the bridge's machinery into the Camel context: the state store and the queue start before any route (they
 * are context services), the intake routes are added, health checks and queue metrics are published, and the
 * vendors found on the class path ({@link Vendors}) are given their destinations, endpoints and the rest they wire.
 */
public class BridgeConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(BridgeConfiguration.class);

    /**
     * How the application runs: {@code run} serves and delivers; {@code check} only loads and validates settings,
     * mappings and routes; {@code try} runs events through the routes with a throwaway state store and sends nothing;
     * {@code backfill} opens the data folder's queue and state store to queue a backfill's events, and serves and
     * delivers nothing. The tools set it; users never need to.
     */
    public enum Mode { RUN, CHECK, TRY, BACKFILL }

    public static final String MODE_PROPERTY = "bridge.mode";
    /**
     * Vert.x worker threads: they parse and validate Segment's requests, which then wait for their commit holding no
     * thread, and run the other endpoints (the vendors' webhooks, the operators' API), which hold one while they work.
     * Four times the two cores of the machine measured; more did not answer faster (docs/benchmarks-history.md).
     */
    static final int HTTP_WORKERS = 8;

    @Override
    public void configure(CamelContext context) throws Exception {
        BackgroundStart background = new BackgroundStart();
        try {
            configure(context, background);
        } catch (Exception | Error e) {
            background.abandon();
            throw e;
        }
    }

    private void configure(CamelContext context, BackgroundStart background) throws Exception {
        Mode mode = Mode.valueOf(context.getPropertiesComponent().resolveProperty(MODE_PROPERTY).orElse("run")
                .toUpperCase(java.util.Locale.ROOT));
        // The settings may choose another format than the environment did before the first line (Bridge.main).
        LogFormat.of(context.getPropertiesComponent().resolveProperty(LogFormat.SETTING).orElse(null)).apply();
        BridgeSettings settings = BridgeSettings.from(context);
        Vendors vendors = Vendors.discovered();

        // The intake's endpoints (Segment's and the vendors' webhooks) answer from their group commit's completion,
        // with no worker waiting for it (AsyncRouteHttpEngine): however many requests wait for a commit, the workers
        // stay free to parse and validate, and to serve health and the other endpoints.
        AsyncRouteHttpEngine httpEngine = new AsyncRouteHttpEngine(meters(context));
        httpEngine.setCamelContext(context);
        context.getRegistry().bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, PlatformHttpEngine.class, httpEngine);
        // Classpath resolving off: it copies served classpath files into a vertx-cache-* folder of the temporary folder,
        // left behind whenever the process is killed; the bridge serves no file through Vert.x.
        context.getRegistry().bind("vertxOptions", new io.vertx.core.VertxOptions().setWorkerPoolSize(HTTP_WORKERS)
                .setFileSystemOptions(new io.vertx.core.file.FileSystemOptions().setClassPathResolvingEnabled(false)));

        StateStore stateStore = mode == Mode.TRY
                ? StateStore.inTemporaryFolder()
                : new StateStore(settings.stateJdbcUrl().orElse(null), settings.stateUsername(), settings.statePassword(),
                        settings.dataDir());
        SettingsReader reader = new SettingsReader(context.getPropertiesComponent());
        Duration shutdownTimeout = shutdownTimeout(context, reader);
        QueueCapacity.Limits queueLimits = QueueCapacity.Limits.from(reader);
        IntakeAdmission.Limits intakeLimits = IntakeAdmission.Limits.from(reader, Runtime.getRuntime().maxMemory(),
                settings.maxBatchBytes(), settings.maxWebhookBytes());
        EventLogs broker = eventLogs(context, settings, reader, queueLimits);
        boolean ownsDataDir = mode == Mode.RUN || mode == Mode.BACKFILL;
        if (ownsDataDir) {
            // Before anything touches the folder's files: a second process on the same folder stops here. Taken now
            // rather than with the other services, because the state store and the broker start right below.
            DataDirLock lock = new DataDirLock(settings.dataDir());
            lock.start();
            background.started(lock);
            context.addService(lock, true, true);
        }
        // The slow parts of the start run side by side with the rest of it (see BackgroundStart); the context's start
        // waits for them here, before every service added after this one.
        java.util.function.Supplier<Mappings> mappings = background.supply("mappings", () -> Mappings.load(settings.mappingsDir()));
        if (mode != Mode.CHECK) {
            background.start("state-store", stateStore);
        }
        if (ownsDataDir) {
            // Started here, registered below where it always was, so that it still stops where it always did.
            background.start("broker", broker);
        }
        if (mode == Mode.RUN) {
            // The background start holds the context until the bridge stops, so the destinations' clients find it made.
            background.supply("tls", VendorTransport::prepareTls);
        }
        context.addService(background, true, true);
        if (mode != Mode.CHECK) {
            context.addService(stateStore, true, true);
        }
        context.getRegistry().bind("stateStore", stateStore);
        if (broker instanceof EmbeddedBroker embedded) {
            // A route file may read a destination's queue itself (jms:queue:segment.events::<destination>). Inert until
            // used, so check can resolve such routes even though no broker runs there.
            context.getRegistry().bind("connectionFactory", embedded.connectionFactory());
        }
        EventQueue queue = broker.eventQueue();
        IntakeLog intakeLog = broker.intakeLog();
        DeadLetters deadLetters = new DeadLetters(stateStore);
        IdentityStore identity = new IdentityStore(stateStore, settings.identityKeyPaths());
        PendingEvents pendingEvents = new PendingEvents(stateStore, identity, queue, deadLetters, settings.pendingTtl(),
                settings.pendingMaxEvents());
        context.getRegistry().bind("identityStore", identity);
        context.addComponent("identity", new IdentityComponent(identity, settings.resolvedKeyField()));
        ThresholdCrossings crossings = new ThresholdCrossings(stateStore, identity);
        context.addComponent("crossing", new CrossingComponent(crossings));
        context.addComponent("once", CrossingComponent.once(crossings));

        MeterRegistry meters = meters(context);
        SuppressionStore suppressions = new SuppressionStore(stateStore);
        DryRunRecorder dryRun = new DryRunRecorder(stateStore, settings.dryRunKeep());
        // Every store that keeps rows about persons erases its own; the audit log names them in this order.
        MessageMarks messageMarks = new MessageMarks(stateStore, settings.dedupeWindow());
        Erasures erasures = new Erasures(identity, suppressions, new PrivacyAudit(stateStore),
                List.of(identity, pendingEvents, deadLetters, suppressions, crossings, dryRun, messageMarks),
                settings.resolvedKeyField(), meters);
        Set<String> origins = new LinkedHashSet<>(vendors.names());
        origins.add(PrivacyRoutes.OPERATOR.toLowerCase(Locale.ROOT));
        ConsentChanges consent = new ConsentChanges(identity, suppressions, meters, origins);
        Privacy privacy = new Privacy(stateStore, consent, erasures);
        context.addComponent("consent", new ConsentComponent(consent, erasures, meters));
        context.getRegistry().bind("privacy", privacy);

        // Routes' jsonpath: read the event their destination's reader parsed, instead of serialising and parsing it again.
        context.getRegistry().bind(ParsedEventJsonPath.NAME, new ParsedEventJsonPath());
        EventRoutes eventRoutes = new EventRoutes();
        context.getRegistry().bind("eventRoutes", eventRoutes);
        context.addComponent("events", new EventsComponent(eventRoutes, settings.destinations()));
        context.addComponent("deliver", new DeliverComponent());
        context.getRegistry().bind(RouteWarnings.BEAN, new RouteWarnings());
        bindConnectors(context, vendors, settings.destinations(), reader);
        DeliveryService delivery = new DeliveryService(context, settings.destinations(), broker, eventRoutes,
                identity, pendingEvents, deadLetters, dryRun, new ErasureSteps(erasures, meters, settings.destinations()),
                // Rate limits and vendor pauses: shared with every bridge on a PostgreSQL state database.
                Pacers.of(stateStore));
        context.getRegistry().bind("deliveryService", delivery);
        delivery.prepare();

        if (mode == Mode.BACKFILL) {
            context.addService(broker, true, true);
            context.getRegistry().bind("eventBroker", broker);
        }
        if (mode == Mode.RUN) {
            serve(context, settings, stateStore, broker, intakeLog, identity, pendingEvents, deadLetters, messageMarks, delivery,
                    privacy, intakeLimits, new QueueCapacity(queueLimits, broker), vendors, reader, shutdownTimeout);
        }
        // After the broker and the state store, so that services a vendor adds stop before them.
        VendorContext vendorContext = new VendorContext(context, reader, ownsDataDir, stateStore, delivery.connectors(), delivery.transport(),
                (vendor, receivedVia) -> VendorReports.create(vendor, receivedVia, settings, identity, intakeLog, meters,
                        suppressions));
        for (Vendor vendor : vendors.all()) {
            vendor.configure(vendorContext);
        }
        // Mapping files are validated before anything starts: a broken file stops the start naming file, entry and problem.
        context.getRegistry().bind("mappings", mappings.get());
    }

    /**
     * The logs the settings choose: Artemis inside this JVM (the default), or Apache Kafka, whose bridges keep their
     * state in one PostgreSQL database.
     */
    private static EventLogs eventLogs(CamelContext context, BridgeSettings settings, SettingsReader reader,
                                       QueueCapacity.Limits queueLimits) {
        String engine = reader.optional("bridge.event-log").orElse("embedded");
        switch (engine) {
            case "embedded":
                // Artemis' own disk block is the last line, at half the reserve below which the intake refuses.
                return new EmbeddedBroker(settings.dataDir(), settings.destinations(), queueLimits.minFreeBytes() / 2);
            case "kafka":
                if (!settings.stateJdbcUrl().orElse("").startsWith("jdbc:postgresql:")) {
                    throw new IllegalArgumentException("Setting bridge.event-log=kafka runs several bridges on shared state: "
                            + "set bridge.state.jdbc-url (BRIDGE_STATE_JDBC_URL) to their PostgreSQL database, jdbc:postgresql://...");
                }
                Map<String, String> fileClientSettings = new java.util.TreeMap<>();
                context.getPropertiesComponent().loadProperties(key -> key.startsWith(KafkaSettings.CLIENT_PREFIX))
                        .forEach((key, value) -> fileClientSettings.put(((String) key).substring(KafkaSettings.CLIENT_PREFIX.length()),
                                String.valueOf(value)));
                return new KafkaEventLogs(KafkaSettings.from(reader, fileClientSettings, System.getenv()), settings.destinations());
            default:
                throw new IllegalArgumentException("Setting bridge.event-log (BRIDGE_EVENT_LOG): '" + engine
                        + "' is not an event log; use embedded or kafka");
        }
    }

    /**
     * Each destination's connector, bound under the destination's name for {@code deliver:<name>:...}: its vendor's,
     * unless one is bound already (tests bind fakes).
     */
    private static void bindConnectors(CamelContext context, Vendors vendors, List<String> destinations, SettingsReader reader) {
        for (String destination : destinations) {
            if (context.getRegistry().lookupByNameAndType(destination, Connector.class) == null) {
                vendors.serving(destination, reader).ifPresent(vendor -> context.getRegistry().bind(destination, vendor.connector()));
            }
        }
    }

    /** The bridge's metrics registry; the tools and the backfill command publish none, so their counts go to a throwaway one. */
    private static MeterRegistry meters(CamelContext context) {
        MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
        return meters != null ? meters : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    }

    /** The running bridge: the queue, intake and admin endpoints, health, metrics, upkeep and delivery. */
    private static void serve(CamelContext context, BridgeSettings settings, StateStore stateStore, EventLogs broker,
                              IntakeLog intakeLog, IdentityStore identity, PendingEvents pendingEvents, DeadLetters deadLetters,
                              MessageMarks messageMarks, DeliveryService delivery, Privacy privacy, IntakeAdmission.Limits intakeLimits,
                              QueueCapacity capacity, Vendors vendors, SettingsReader reader, Duration shutdownTimeout)
            throws Exception {
        if (stateStore.dialect() == StateDialect.POSTGRESQL) {
            // Several bridges may share the database: the quartz: routes' schedules live there too, so each firing runs
            // on one bridge, and another takes over from one that is lost. Only in a running bridge: the backfill
            // command and check start no route, and a scheduler of theirs in the cluster would take firings it cannot run.
            context.addComponent("quartz", ClusteredScheduler.component(stateStore));
        }
        context.addService(broker, true, true);
        context.getRegistry().bind("eventBroker", broker);
        context.getRegistry().bind("pendingEvents", pendingEvents);
        // After the broker and the state store, so that it stops before them.
        Processor processor = new Processor(intakeLog, stateStore, identity, privacy, deadLetters, messageMarks,
                settings.dedupeWindow(),
                settings.destinations().contains(VendorReports.DESTINATION) ? Optional.of(VendorReports.DESTINATION) : Optional.empty(),
                pendingEvents::releaseAll, meters(context),
                reader.positiveInt("bridge.processor.batch-size"), Duration.ofMillis(20));
        context.addService(processor, true, true);
        context.getRegistry().bind("processor", processor);
        context.getRegistry().bind("intakeLog", intakeLog);
        context.addRoutes(new ProcessorRoutes(processor));

        HealthCheckRegistry health = HealthCheckHelper.getHealthCheckRegistry(context);
        health.register(new StateStoreHealthCheck(stateStore));
        health.register(new QueueHealthCheck(broker));
        health.register(new QueueCapacityHealthCheck(capacity));
        health.register(new ProcessorHealthCheck(processor));
        capacity.publishMetrics(meters(context));
        HealthMetric.publish(context, meters(context));

        IntakeRoutes intake = new IntakeRoutes(settings, intakeLog, identity, privacy.consent().suppressions(), intakeLimits,
                capacity, endpoints -> vendors.all().forEach(vendor -> vendor.serve(endpoints, reader)));
        health.register(intake.admissionHealth());
        context.addRoutes(intake);
        context.getRegistry().bind("intakeGate", GatedHttpServerFactory.Gate.class, (GatedHttpServerFactory.Gate) intake::installGate);
        context.addRoutes(new IdentityRoutes(pendingEvents, settings.pendingCheckEvery()));
        context.addRoutes(new AdminRoutes(settings.adminToken(), delivery));
        context.addRoutes(new DestinationRoutes(settings.adminToken(), delivery, meters(context), settings.destinations()));
        context.addRoutes(new PeopleRoutes(settings.adminToken(), identity));
        context.addRoutes(new ConfigurationRoutes(settings.adminToken(), settings.mappingsDir()));
        // The operator console's page: it holds no data, and fetches all of it from the endpoints above with the token.
        context.addRoutes(new ConsoleRoutes());
        context.addRoutes(new PrivacyRoutes(settings.adminToken(), privacy.consent(), privacy.erasures(), intake.intake(),
                intake.reports(PrivacyRoutes.OPERATOR, PrivacyRoutes.ENDPOINT), processor));
        context.addRoutes(new ApiDescriptionRoutes());

        ContextEvents.listen(context, event -> {
            if (event instanceof CamelEvent.CamelContextStartedEvent) {
                reportDisabledEndpoints(intake.disabledEndpoints(), settings.adminToken().isEmpty());
                // Only now are all routes up: an event read earlier would find no route to handle it, and a
                // request taken earlier might find no route to answer it.
                delivery.start();
                intake.startAdmitting();
            } else if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                // The stop's first steps, before Camel stops the routes (which waits for the intake requests
                // admitted until now) and then the processor, the logs and the state store, newest first.
                intake.stopAdmitting();
                delivery.stop(shutdownTimeout);
            }
        });
    }

    /**
     * How long a stop (SIGTERM) may take: {@code bridge.shutdown.timeout}, which is also Camel's shutdown timeout, so
     * that Camel's own stop (and its hook on SIGTERM) waits for the bridge's.
     */
    private static Duration shutdownTimeout(CamelContext context, SettingsReader reader) {
        Duration timeout = reader.duration("bridge.shutdown.timeout");
        if (timeout.toSeconds() < 1) {
            throw new IllegalArgumentException("Setting bridge.shutdown.timeout (BRIDGE_SHUTDOWN_TIMEOUT): '" + timeout.toMillis()
                    + " ms' is too short; give at least 1s");
        }
        context.getShutdownStrategy().setTimeUnit(java.util.concurrent.TimeUnit.SECONDS);
        context.getShutdownStrategy().setTimeout(timeout.toSeconds());
        return timeout;
    }

    private static void reportDisabledEndpoints(Map<String, String> disabled, boolean noAdminToken) {
        disabled.forEach((endpoint, why) ->
                LOG.warn("Endpoint {} is disabled and answers 401: {}", endpoint, why));
        if (noAdminToken) {
            LOG.warn("Endpoint /admin/* is disabled and answers 401: BRIDGE_ADMIN_TOKEN is not set");
        }
    }
}
