package org.segmentbridge.state;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.component.quartz.QuartzComponent;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SchedulerFactory;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.impl.jdbcjobstore.PostgreSQLDelegate;
import org.quartz.simpl.SimpleThreadPool;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler of the {@code quartz:} routes when the state is on PostgreSQL: Quartz's clustered JDBC job store in the
 * state database (tables {@code qrtz_*}, migration V11 in {@code db/postgresql}), so that the bridges sharing the
 * database form one Quartz cluster. Each firing of a trigger is taken by one of them only (the row of the trigger moves
 * from WAITING to ACQUIRED in one update), and a bridge that stops checking in is counted lost after
 * {@link #CHECKIN_INTERVAL} and a grace of 7.5 s: another bridge then releases the triggers it had acquired and runs
 * again the jobs it was running that ask for recovery ({@code recoverableJob=true}). On the embedded H2 file one
 * bridge runs alone and Camel's default scheduler keeps its schedules in memory.
 *
 * <p>Quartz takes its connections from the state store's own pool (a {@link ConnectionProvider} registered with
 * Quartz's {@link DBConnectionManager} under a name of this scheduler's own), asked for each connection: the scheduler
 * can be created before the store has started, and touches the database only once the routes start (their triggers)
 * and the context has fully started (the scheduler itself), both after the store has migrated.
 *
 * <p>Every bridge of a cluster must run the same {@code quartz:} routes and keep the same Camel context name
 * ({@code camel.main.name}, {@code segment-bridge}): a firing names the context that scheduled it, and goes to the
 * bridge that acquired it.
 */
public final class ClusteredScheduler implements SchedulerFactory {

    /** The scheduler's name, the same in every bridge: Quartz's cluster is the schedulers of one name in one database. */
    public static final String NAME = "segment-bridge";
    /** The prefix of Quartz's tables (V11). */
    public static final String TABLE_PREFIX = "qrtz_";
    /** How often each bridge checks in; one silent for this long and 7.5 s more is lost, and its work taken over. */
    static final Duration CHECKIN_INTERVAL = Duration.ofSeconds(5);
    /**
     * How long an idle scheduler waits before it looks for due triggers again. Another bridge's changes do not wake it,
     * so this is also how soon it takes the next firing over from a bridge that stopped cleanly (Quartz's default, 30 s).
     */
    static final Duration IDLE_WAIT = Duration.ofSeconds(5);
    /** Jobs that may run at once in one bridge: a few scheduled routes, each a short or a waiting run. */
    static final int THREADS = 4;

    private static final Logger LOG = LoggerFactory.getLogger(ClusteredScheduler.class);
    private static final AtomicInteger DATA_SOURCES = new AtomicInteger();

    private final StateStore stateStore;
    private Scheduler scheduler;

    public ClusteredScheduler(StateStore stateStore) {
        this.stateStore = stateStore;
    }

    /** Camel's quartz component, scheduling in the state database; it starts and shuts down the scheduler itself. */
    public static QuartzComponent component(StateStore stateStore) {
        QuartzComponent quartz = new QuartzComponent();
        quartz.setSchedulerFactory(new ClusteredScheduler(stateStore));
        return quartz;
    }

    /** Quartz's settings for the clustered job store whose connections come from the data source of this name. */
    static Properties properties(String dataSource) {
        Properties settings = new Properties();
        settings.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, NAME);
        // Host name and start time: unique among the bridges sharing the database, new at every start.
        settings.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_ID, StdSchedulerFactory.AUTO_GENERATE_INSTANCE_ID);
        settings.setProperty(StdSchedulerFactory.PROP_SCHED_IDLE_WAIT_TIME, Long.toString(IDLE_WAIT.toMillis()));
        settings.setProperty(StdSchedulerFactory.PROP_THREAD_POOL_CLASS, SimpleThreadPool.class.getName());
        settings.setProperty(StdSchedulerFactory.PROP_THREAD_POOL_PREFIX + ".threadCount", Integer.toString(THREADS));
        String store = StdSchedulerFactory.PROP_JOB_STORE_PREFIX + ".";
        settings.setProperty(StdSchedulerFactory.PROP_JOB_STORE_CLASS, JobStoreTX.class.getName());
        settings.setProperty(store + "driverDelegateClass", PostgreSQLDelegate.class.getName());
        settings.setProperty(store + StdSchedulerFactory.PROP_TABLE_PREFIX, TABLE_PREFIX);
        settings.setProperty(store + "isClustered", "true");
        settings.setProperty(store + "clusterCheckinInterval", Long.toString(CHECKIN_INTERVAL.toMillis()));
        settings.setProperty(store + "dataSource", dataSource);
        // Job data is stored as text properties, never as serialised Java objects (Camel's job data is all strings).
        settings.setProperty(store + "useProperties", "true");
        return settings;
    }

    /** This bridge's scheduler, created at the first call (the quartz component's start). */
    @Override
    public Scheduler getScheduler() throws SchedulerException {
        synchronized (ClusteredScheduler.class) {
            if (scheduler == null || scheduler.isShutdown()) {
                scheduler = create();
            }
            return scheduler;
        }
    }

    /**
     * A new scheduler. Quartz's factory keeps every scheduler it made in a repository of the JVM by name, and hands the
     * one of that name to whoever asks next: taken out of it at once, each bridge has a scheduler of its own even when
     * several run in one JVM (the tests). The class's lock keeps a second bridge from asking in between.
     */
    private Scheduler create() throws SchedulerException {
        String dataSource = "segment-bridge-state-" + DATA_SOURCES.incrementAndGet();
        DBConnectionManager.getInstance().addConnectionProvider(dataSource, new StateConnections(stateStore));
        Scheduler created = new StdSchedulerFactory(properties(dataSource)).getScheduler();
        SchedulerRepository repository = SchedulerRepository.getInstance();
        if (repository.lookup(NAME) == created) {
            repository.remove(NAME);
        }
        LOG.info("Scheduled routes run on Quartz's clustered job store in the state database (tables {}*, instance {}, "
                + "check-in every {} s)", TABLE_PREFIX, created.getSchedulerInstanceId(), CHECKIN_INTERVAL.toSeconds());
        return created;
    }

    @Override
    public Scheduler getScheduler(String schedName) throws SchedulerException {
        return NAME.equals(schedName) ? getScheduler() : null;
    }

    @Override
    public Collection<Scheduler> getAllSchedulers() throws SchedulerException {
        return List.of(getScheduler());
    }

    /**
     * Quartz's connections: the state store's pool, asked at each connection, so a scheduler made before the store
     * started only fails a call made too early (as a database error Quartz retries) and never holds a stale pool.
     */
    private static final class StateConnections implements ConnectionProvider {

        private volatile StateStore stateStore;

        StateConnections(StateStore stateStore) {
            this.stateStore = stateStore;
        }

        @Override
        public Connection getConnection() throws SQLException {
            StateStore store = stateStore;
            if (store == null) {
                throw new SQLException("the bridge's scheduler is shut down");
            }
            try {
                return store.dataSource().getConnection();
            } catch (StateStore.NotStarted e) {
                throw new SQLException(e.getMessage(), e);
            }
        }

        /** Quartz's shutdown: the pool is the state store's, which closes it; the store is let go. */
        @Override
        public void shutdown() {
            stateStore = null;
        }

        @Override
        public void initialize() {
        }
    }
}
