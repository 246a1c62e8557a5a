package org.segmentbridge.state;

import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import org.apache.camel.component.quartz.QuartzComponent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.quartz.simpl.RAMJobStore;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/**
 * The schedules of the {@code quartz:} routes with the state on PostgreSQL: two bridge processes on one database form one
 * Quartz cluster in the {@code qrtz_*} tables, each firing runs on one of them, and when the bridge running a job is
 * killed the other runs that job again and carries on with the schedule. On H2 the schedule stays in memory, and the
 * backfill command, which starts no route, never joins the cluster. Always on PostgreSQL (left out of the suite's
 * PostgreSQL pass: nothing would change there).
 */
class ClusteredSchedulerTest {

    private static final String TICK_CRON = "0/1 * * * * ?";
    private static final String BACKFILL_CRON = "0 30 1 * * ?";
    private static final Duration START = Duration.ofSeconds(60);

    private final WireMockServer receiver = new WireMockServer(options().dynamicPort());
    private final List<BridgeProcess> processes = new ArrayList<>();
    private RunningBridge inProcess;

    /** One run of the tick job, as the route reported it. */
    record Firing(String bridge, long scheduledAt, String trigger, Instant receivedAt) {

        boolean regular() {
            return trigger.equals("cluster-tick");
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            for (BridgeProcess process : processes) {
                process.close();
            }
            if (inProcess != null) {
                inProcess.close();
            }
        } finally {
            if (receiver.isRunning()) {
                receiver.stop();
            }
        }
    }

    @Test
    void twoBridgesRunEachFiringOnceAndTheSurvivorRecoversTheRunAndTheScheduleOfAKilledOne() throws Exception {
        receiver.start();
        receiver.stubFor(post(urlEqualTo("/tick")).willReturn(ok()));
        PostgresServer postgres = PostgresServer.shared();
        String database = postgres.createDatabase("quartz_cluster");
        Path routes = tickRoute();

        BridgeProcess a = launch("a", postgres, database, routes);
        BridgeProcess b = launch("b", postgres, database, routes);
        try {
            a.awaitHealthy(START);
            b.awaitHealthy(START);
            // The firing scheduled for this second is told to run long (until the bridge running it is killed).
            long longRun = (System.currentTimeMillis() / 1000 + 5) * 1000;
            receiver.stubFor(post(urlEqualTo("/tick")).withRequestBody(matching(".* " + longRun + " cluster-tick"))
                    .willReturn(ok("long")));
            runCluster(postgres, database, longRun, a, b);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nreported: " + firings() + "\nbridge a:\n" + a.output()
                    + "\nbridge b:\n" + b.output(), e);
        }
    }

    private void runCluster(PostgresServer postgres, String database, long longRun, BridgeProcess a, BridgeProcess b)
            throws Exception {
        try (Connection db = DriverManager.getConnection(postgres.jdbcUrl(database), PostgresServer.USER,
                PostgresServer.PASSWORD)) {
            // The routes' triggers and jobs are rows of the state database, and both bridges have checked in.
            assertThat(cronTriggers(db)).containsEntry("segment-bridge/cluster-tick", TICK_CRON)
                    .containsEntry("segment-bridge/emarsys-engagement-backfill", BACKFILL_CRON);
            assertThat(jobFlags(db, "emarsys-engagement-backfill")).as("the shipped backfill: non-concurrent, recoverable")
                    .containsExactly(true, true);
            await().atMost(Duration.ofSeconds(15)).until(() -> instances(db).size() == 2);

            // The long firing: the bridge running it is killed while it runs.
            Firing started = await().atMost(Duration.ofSeconds(60)).until(() -> firings().stream()
                    .filter(firing -> firing.regular() && firing.scheduledAt() == longRun).findFirst().orElse(null),
                    found -> found != null);
            BridgeProcess victim = started.bridge().equals("a") ? a : b;
            String survivor = started.bridge().equals("a") ? "b" : "a";
            Instant killedAt = Instant.now();
            victim.kill();

            // The survivor runs the lost firing again (Quartz's recovery) and carries on with the schedule.
            Firing recovered = await().atMost(Duration.ofSeconds(45)).until(() -> firings().stream()
                    .filter(firing -> !firing.regular()).findFirst().orElse(null), found -> found != null);
            await().atMost(Duration.ofSeconds(30)).until(() -> firings().stream()
                    .anyMatch(firing -> firing.regular() && firing.scheduledAt() > killedAt.toEpochMilli() + 3000));
            await().atMost(Duration.ofSeconds(15)).until(() -> instances(db).size() == 1);

            List<Firing> all = firings();
            List<Firing> regular = all.stream().filter(Firing::regular).toList();
            List<Long> times = regular.stream().map(Firing::scheduledAt).toList();
            System.out.printf("cluster: %d regular firings (a: %d, b: %d), %s killed %d ms after its long firing was reported; "
                            + "its run recovered by %s %d ms after the kill; first later firing of the survivor %d ms after the kill%n",
                    regular.size(), regular.stream().filter(firing -> firing.bridge().equals("a")).count(),
                    regular.stream().filter(firing -> firing.bridge().equals("b")).count(), started.bridge(),
                    Duration.between(started.receivedAt(), killedAt).toMillis(), recovered.bridge(),
                    Duration.between(killedAt, recovered.receivedAt()).toMillis(),
                    Duration.between(killedAt, regular.stream().filter(firing -> firing.scheduledAt() > longRun).findFirst()
                            .orElseThrow().receivedAt()).toMillis());

            assertThat(times).as("each scheduled firing ran on one bridge only").doesNotHaveDuplicates();
            Set<Long> missing = new TreeSet<>();
            long last = times.stream().max(Long::compare).orElseThrow();
            for (long second = times.stream().min(Long::compare).orElseThrow(); second <= last; second += 1000) {
                missing.add(second);
            }
            missing.removeAll(times);
            assertThat(missing).as("no firing lost, those due while the survivor had not yet noticed the loss included").isEmpty();
            assertThat(recovered.bridge()).isEqualTo(survivor);
            assertThat(recovered.scheduledAt()).as("the recovered run is the lost firing").isEqualTo(longRun);
            assertThat(recovered.trigger()).startsWith("recover_");
            assertThat(all.stream().filter(firing -> !firing.regular())).hasSize(1);
            assertThat(regular.stream().filter(firing -> firing.scheduledAt() > longRun).map(Firing::bridge).distinct())
                    .as("after the long firing only the survivor runs the job").containsExactly(survivor);
        }
    }

    @Test
    void onH2TheScheduleStaysInMemoryAndNoQuartzTableIsMade() throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("bridge.state.jdbc-url", "");
        settings.put("camel.main.routesIncludePattern", "file:routes/emarsys/engagement-backfill.yaml");
        inProcess = RunningBridge.start(settings);

        QuartzComponent quartz = inProcess.main().getCamelContext().getComponent("quartz", QuartzComponent.class);
        assertThat(quartz.getScheduler().getMetaData().getJobStoreClass()).isEqualTo(RAMJobStore.class);
        StateStore store = inProcess.main().getCamelContext().getRegistry().lookupByNameAndType("stateStore", StateStore.class);
        assertThat(store.dialect()).isEqualTo(StateDialect.H2);
        try (Connection connection = store.dataSource().getConnection();
             ResultSet tables = connection.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
            List<String> names = new ArrayList<>();
            while (tables.next()) {
                names.add(tables.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT));
            }
            assertThat(names).contains("job_lease").noneMatch(name -> name.startsWith(ClusteredScheduler.TABLE_PREFIX));
        }
    }

    @Test
    void theBackfillCommandOnPostgresqlDoesNotJoinTheCluster() throws Exception {
        PostgresServer postgres = PostgresServer.shared();
        String database = postgres.createDatabase("quartz_backfill_command");
        Map<String, String> environment = new HashMap<>(postgres.environment(database));
        environment.put("BRIDGE_DATA_DIR", TestFolders.create("quartz-backfill-command-").toString());
        environment.put("CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:routes/emarsys/engagement-backfill.yaml");

        // Without Emarsys credentials the command stops once the bridge (routes built, not started) is up.
        BridgeProcess.Finished command = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("backfill", "emarsys",
                "--from", "2026-01-01", "--to", "2026-01-02"), Path.of("").toAbsolutePath(), environment);

        assertThat(command.output()).contains("backfill: cannot run");
        try (Connection db = DriverManager.getConnection(postgres.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD)) {
            assertThat(count(db, "flyway_schema_history WHERE version = '11' AND success"))
                    .as("the job store's tables exist for the bridges").isEqualTo(1);
            assertThat(count(db, "qrtz_scheduler_state")).as("no scheduler of the command checked in").isZero();
            assertThat(count(db, "qrtz_triggers")).isZero();
        }
    }

    // ---- the bridges ------------------------------------------------------------------------------------------------

    /**
     * A route file with the tick job: every second, stateful and recoverable like the shipped backfill, it reports the
     * bridge, the firing's scheduled time and its trigger to the receiver, and waits two minutes when the receiver
     * answers {@code long}.
     */
    private Path tickRoute() throws IOException {
        Path folder = TestFolders.create("quartz-cluster-routes-");
        Files.writeString(folder.resolve("tick.yaml"), """
                - route:
                    id: cluster-tick
                    from:
                      uri: quartz:segment-bridge/cluster-tick
                      parameters:
                        cron: "%s"
                        stateful: true
                        recoverableJob: true
                      steps:
                        - setProperty:
                            name: scheduled
                            simple: "${header.scheduledFireTime.time}"
                        - setProperty:
                            name: trigger
                            simple: "${header.triggerName}"
                        - setBody:
                            simple: "${env:TICK_BRIDGE} ${exchangeProperty.scheduled} ${exchangeProperty.trigger}"
                        - removeHeaders:
                            pattern: "*"
                        - to: "http://127.0.0.1:%d/tick"
                        - filter:
                            simple: "${bodyAs(String)} == 'long'"
                            steps:
                              - delay:
                                  constant: 120000
                """.formatted(TICK_CRON, receiver.port()));
        return folder;
    }

    private BridgeProcess launch(String name, PostgresServer postgres, String database, Path routes) throws IOException {
        int managementPort = RunningBridge.freePort();
        Map<String, String> environment = new HashMap<>(postgres.environment(database));
        environment.put("TICK_BRIDGE", name);
        environment.put("BRIDGE_HTTP_PORT", Integer.toString(RunningBridge.freePort()));
        environment.put("BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort));
        environment.put("BRIDGE_DATA_DIR", TestFolders.create("quartz-cluster-" + name + "-").toString());
        environment.put("BRIDGE_DESTINATIONS", "segment");
        environment.put("CAMEL_MAIN_ROUTESINCLUDEPATTERN", "file:" + routes.toAbsolutePath() + "/*.yaml,"
                + "file:routes/emarsys/engagement-backfill.yaml");
        BridgeProcess process = BridgeProcess.launch(BridgeProcess.javaOnTestClassPath(), Path.of("").toAbsolutePath(),
                environment, managementPort);
        processes.add(process);
        return process;
    }

    /** What the tick job reported, in the order it arrived. */
    private List<Firing> firings() {
        List<ServeEvent> events = new ArrayList<>(receiver.getAllServeEvents());
        events.sort((one, other) -> one.getRequest().getLoggedDate().compareTo(other.getRequest().getLoggedDate()));
        return events.stream().map(event -> {
            String[] parts = event.getRequest().getBodyAsString().trim().split(" ");
            return new Firing(parts[0], Long.parseLong(parts[1]), parts[2], event.getRequest().getLoggedDate().toInstant());
        }).collect(Collectors.toList());
    }

    // ---- the qrtz tables --------------------------------------------------------------------------------------------

    /** "group/name" → cron expression of every cron trigger. */
    private static Map<String, String> cronTriggers(Connection db) throws SQLException {
        Map<String, String> triggers = new HashMap<>();
        try (PreparedStatement select = db.prepareStatement("SELECT t.trigger_group, t.trigger_name, c.cron_expression "
                + "FROM qrtz_triggers t JOIN qrtz_cron_triggers c ON c.sched_name = t.sched_name "
                + "AND c.trigger_name = t.trigger_name AND c.trigger_group = t.trigger_group "
                + "WHERE t.sched_name = ? AND t.trigger_type = 'CRON'")) {
            select.setString(1, ClusteredScheduler.NAME);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    triggers.put(rows.getString(1) + "/" + rows.getString(2), rows.getString(3));
                }
            }
        }
        return triggers;
    }

    /** is_nonconcurrent and requests_recovery of a job. */
    private static List<Boolean> jobFlags(Connection db, String job) throws SQLException {
        try (PreparedStatement select = db.prepareStatement("SELECT is_nonconcurrent, requests_recovery FROM qrtz_job_details "
                + "WHERE sched_name = ? AND job_name = ?")) {
            select.setString(1, ClusteredScheduler.NAME);
            select.setString(2, job);
            try (ResultSet row = select.executeQuery()) {
                assertThat(row.next()).as("job %s is stored", job).isTrue();
                return List.of(row.getBoolean(1), row.getBoolean(2));
            }
        }
    }

    /** The scheduler instances that have checked in and not been found lost. */
    private static List<String> instances(Connection db) throws SQLException {
        List<String> instances = new ArrayList<>();
        try (PreparedStatement select = db.prepareStatement("SELECT instance_name FROM qrtz_scheduler_state WHERE sched_name = ?")) {
            select.setString(1, ClusteredScheduler.NAME);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    instances.add(rows.getString(1));
                }
            }
        }
        return instances;
    }

    private static int count(Connection db, String from) throws SQLException {
        try (PreparedStatement select = db.prepareStatement("SELECT count(*) FROM " + from);
             ResultSet row = select.executeQuery()) {
            row.next();
            return row.getInt(1);
        }
    }
}
