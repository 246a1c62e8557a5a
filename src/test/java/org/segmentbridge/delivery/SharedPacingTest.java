package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.TestFolders;

/**
 * Pacers shared through a PostgreSQL state database, as three bridges would have them: three state stores on one
 * database, each with its own {@link Pacers}. Together they keep a credential under its rate, a slot frees a period
 * after its request ended on whichever bridge (or after its latest end), and a pause one of them records holds the
 * others; with the database down they take nothing, and afterwards pace again by themselves.
 */
class SharedPacingTest {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    /** The longest a request may take, for the tests whose requests all report their end (or none is sent). */
    private static final Duration LONGEST = Duration.ofSeconds(30);

    private static final List<StateStore> stores = new ArrayList<>();
    private static final List<Pacers> bridges = new ArrayList<>();

    @BeforeAll
    static void threeBridgesOnOneDatabase() throws Exception {
        PostgresServer postgres = PostgresServer.shared();
        String database = postgres.createDatabase("shared_pacing_" + DATABASES.incrementAndGet());
        for (int bridge = 0; bridge < 3; bridge++) {
            StateStore store = startedStore(postgres, database);
            stores.add(store);
            bridges.add(Pacers.of(store));
        }
    }

    @AfterAll
    static void stopStores() {
        stores.forEach(StateStore::stop);
    }

    @Test
    void threeBridgesTogetherNeverGrantMoreThanTheRateInAnySecond() throws Exception {
        // Each permit is recorded here before its end is reported, so the window's rule holds for these records
        // exactly: no second of them may hold more than the rate, however late a thread recorded its permit.
        int perSecond = 50;
        Rate rate = new Rate(perSecond, Duration.ofSeconds(1));
        Duration runFor = Duration.ofSeconds(5);
        List<Long> granted = Collections.synchronizedList(new ArrayList<>());
        int[] byBridge = new int[bridges.size()];
        ExecutorService workers = Executors.newFixedThreadPool(bridges.size() * 2);
        try {
            long started = System.nanoTime();
            long end = started + runFor.toNanos();
            List<Future<?>> running = new ArrayList<>();
            for (int bridge = 0; bridge < bridges.size(); bridge++) {
                int index = bridge;
                RequestPacer pacer = bridges.get(bridge).pacer("iterable:together", rate);
                for (int thread = 0; thread < 2; thread++) {
                    running.add(workers.submit(() -> {
                        while (System.nanoTime() < end) {
                            Instant now = Instant.now();
                            Duration wait = pacer.waitTime(now);
                            Optional<RequestPacer.Permit> permit = wait.isZero() ? pacer.tryTake(now, LONGEST) : Optional.empty();
                            if (permit.isPresent()) {
                                granted.add(System.nanoTime() - started);
                                permit.get().done();
                                synchronized (byBridge) {
                                    byBridge[index]++;
                                }
                            } else {
                                long sleep = Math.max(1, Math.min(wait.toMillis(), (end - System.nanoTime()) / 1_000_000));
                                Thread.sleep(sleep);
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> worker : running) {
                worker.get();
            }
        } finally {
            workers.shutdownNow();
        }

        List<Long> times = new ArrayList<>(granted);
        Collections.sort(times);
        int busiest = 0;
        for (int first = 0, last = 0; first < times.size(); first++) {
            while (last < times.size() && times.get(last) - times.get(first) < Duration.ofSeconds(1).toNanos()) {
                last++;
            }
            busiest = Math.max(busiest, last - first);
        }
        System.out.printf("SharedPacingTest: %d permits in %d s at %d/s (by bridge %d, %d, %d), at most %d in one second%n",
                times.size(), runFor.toSeconds(), perSecond, byBridge[0], byBridge[1], byBridge[2], busiest);

        assertThat(busiest).as("permits granted in the busiest second, all bridges together").isLessThanOrEqualTo(perSecond);
        // The rate over the run, less a request's latency (here the end's write) per period; loosely, on a busy machine.
        assertThat(times.size()).as("permits granted in all").isGreaterThanOrEqualTo((int) (perSecond * runFor.toSeconds() * 0.8));
        for (int count : byBridge) {
            assertThat(count).as("permits each bridge got").isPositive();
        }
    }

    /**
     * A request's slot frees a period after its end was reported on any bridge, and a request whose end never comes
     * (its bridge was killed) frees its own at its latest end; a permit given back at once is as if never taken.
     */
    @Test
    void aSlotFreesAPeriodAfterItsRequestEndedOrAfterItsLatestEnd() throws Exception {
        Rate rate = new Rate(2, Duration.ofSeconds(1));
        Duration longest = Duration.ofSeconds(2);
        String key = "iterable:slots";
        RequestPacer first = bridges.get(0).pacer(key, rate);
        RequestPacer second = bridges.get(1).pacer(key, rate);

        RequestPacer.Permit unsent = first.tryTake(Instant.now(), longest).orElseThrow();
        unsent.giveBack();
        RequestPacer.Permit ended = first.tryTake(Instant.now(), longest).orElseThrow();
        long neverEndingAsked = System.nanoTime();
        second.tryTake(Instant.now(), longest).orElseThrow(); // never ends
        ended.done();
        long endReported = System.nanoTime();
        assertThat(second.tryTake(Instant.now(), longest)).as("a third within the period").isEmpty();

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                .until(() -> second.tryTake(Instant.now(), longest).isPresent());
        assertThat(Duration.ofNanos(System.nanoTime() - endReported)).as("after the first request's end")
                .isGreaterThanOrEqualTo(rate.period());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> first.tryTake(Instant.now(), longest).isPresent());
        assertThat(Duration.ofNanos(System.nanoTime() - neverEndingAsked)).as("after the request that never ended could end")
                .isGreaterThanOrEqualTo(longest.plus(rate.period()));
    }

    @Test
    void aPauseRecordedByOneBridgeHoldsTheOthersAndTheLaterPauseWins() throws Exception {
        Rate rate = new Rate(100, Duration.ofSeconds(1));
        String key = "sailthru:paused-key";
        RequestPacer first = bridges.get(0).pacer(key, rate);
        RequestPacer second = bridges.get(1).pacer(key, rate);
        RequestPacer third = bridges.get(2).pacer(key, rate);
        assertThat(second.tryTake(Instant.now(), LONGEST)).as("before any pause").isPresent();
        assertThat(third.waitTime(Instant.now())).isZero();

        Instant pausedUntil = Instant.now().plusMillis(2000);
        first.pauseUntil(pausedUntil);
        second.pauseUntil(pausedUntil.minusMillis(1500)); // an earlier end, recorded later: the later one stays
        Thread.sleep(SharedPacing.PAUSE_READ_EVERY.toMillis() + 50);

        Instant now = Instant.now();
        assertThat(second.tryTake(now, LONGEST)).as("the second bridge during the pause").isEmpty();
        assertThat(third.tryTake(now, LONGEST)).as("the third bridge during the pause").isEmpty();
        // PostgreSQL keeps microseconds: the pause is rounded up to one.
        Duration left = Duration.between(now, pausedUntil);
        assertThat(third.waitTime(now)).as("the third bridge's wait").isBetween(left, left.plusNanos(1000));
        assertThat(second.waitTime(now)).as("the second bridge's wait").isEqualTo(third.waitTime(now));
        assertThat(first.waitTime(now)).as("the first bridge's wait").isEqualTo(third.waitTime(now));

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> third.tryTake(Instant.now(), LONGEST).isPresent());
        assertThat(Instant.now()).as("when the third bridge took again").isAfterOrEqualTo(pausedUntil);
        assertThat(second.tryTake(Instant.now(), LONGEST)).as("the second bridge after the pause").isPresent();

        try (Connection connection = stores.get(0).dataSource().getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pacer_id FROM pacer_pause")) {
            List<String> ids = new ArrayList<>();
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
            assertThat(ids).as("no credential text in the database").containsExactly(SharedPacing.digest(key));
        }
    }

    /**
     * The database stopped: no permit and a wait (nothing is sent unpaced); a pause recorded meanwhile is kept and
     * shared once the database is back, when permits come again with no restart. On a server of its own, since it
     * stops it.
     */
    @Test
    void withTheDatabaseDownNothingIsTakenAndAfterwardsPacingResumes() throws Exception {
        Rate rate = new Rate(50, Duration.ofSeconds(1));
        try (PostgresServer postgres = PostgresServer.start()) {
            String database = postgres.createDatabase("pacing_outage");
            StateStore one = startedStore(postgres, database);
            StateStore other = startedStore(postgres, database);
            try {
                Pacers onePacers = Pacers.of(one);
                RequestPacer taking = onePacers.pacer("emarsys:taking", rate);
                RequestPacer paused = onePacers.pacer("emarsys:paused", rate);
                RequestPacer otherPausing = Pacers.of(other).pacer("emarsys:paused", rate);
                assertThat(taking.tryTake(Instant.now(), LONGEST)).as("before the outage").isPresent();
                assertThat(otherPausing.waitTime(Instant.now())).as("before the outage").isZero();

                postgres.stop();
                Thread.sleep(SharedPacing.PAUSE_READ_EVERY.toMillis() + 50);
                long asked = System.nanoTime();
                assertThat(taking.tryTake(Instant.now(), LONGEST)).as("a take with the database down").isEmpty();
                Duration answeredIn = Duration.ofNanos(System.nanoTime() - asked);
                assertThat(taking.waitTime(Instant.now())).as("the wait with the database down")
                        .isPositive().isLessThanOrEqualTo(RequestPacer.UNREACHABLE_RETRY.plus(answeredIn));
                // Every further try within the retry costs no query, so it answers at once.
                long again = System.nanoTime();
                for (int attempt = 0; attempt < 100; attempt++) {
                    assertThat(taking.tryTake(Instant.now(), LONGEST)).as("a take right after").isEmpty();
                }
                Duration hundredTries = Duration.ofNanos(System.nanoTime() - again);
                long pausing = System.nanoTime();
                Instant pausedUntil = Instant.now().plusSeconds(60);
                paused.pauseUntil(pausedUntil); // the vendor's 429, with the database down
                Duration pauseRecordedIn = Duration.ofNanos(System.nanoTime() - pausing);
                assertThat(paused.waitTime(Instant.now())).as("this bridge keeps the pause meanwhile")
                        .isGreaterThan(Duration.ofSeconds(50));
                assertThat(paused.tryTake(Instant.now(), LONGEST)).as("a take during the pause kept here").isEmpty();

                long restarting = System.nanoTime();
                postgres.startAgain();
                Duration restart = Duration.ofNanos(System.nanoTime() - restarting);
                // Pacing resumes by itself, and the pause recorded while the database was down reaches the other
                // bridge (this one writes it before its next read).
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> taking.tryTake(Instant.now(), LONGEST).isPresent());
                Duration resumedIn = Duration.ofNanos(System.nanoTime() - restarting).minus(restart);
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    paused.waitTime(Instant.now());
                    return otherPausing.waitTime(Instant.now()).compareTo(Duration.ofSeconds(30)) > 0;
                });
                System.out.printf("SharedPacingTest: with the database down a take answered false in %d ms, 100 more in %d ms,"
                        + " a pause was recorded in %d ms; permits again %d ms after the server was back%n", answeredIn.toMillis(),
                        hundredTries.toMillis(), pauseRecordedIn.toMillis(), resumedIn.toMillis());
                assertThat(hundredTries).as("100 tries within the retry").isLessThan(Duration.ofMillis(100));
            } finally {
                one.stop();
                other.stop();
            }
        }
    }

    @Test
    void anH2StateKeepsPacersInTheProcessAndHasNoPacerTables() throws Exception {
        Path dataDir = TestFolders.create("shared-pacing-h2-");
        StateStore h2 = new StateStore(dataDir);
        h2.start();
        try {
            assertThat(Pacers.of(h2).shared()).isFalse();
            assertThat(bridges.get(0).shared()).isTrue();
            try (Connection connection = h2.dataSource().getConnection();
                 ResultSet tables = connection.getMetaData().getTables(null, null, "PACER%", null)) {
                assertThat(tables.next()).as("a pacer table on H2").isFalse();
            }
        } finally {
            h2.stop();
        }
    }

    private static StateStore startedStore(PostgresServer postgres, String database) throws Exception {
        Path dataDir = TestFolders.create("shared-pacing-");
        StateStore store = new StateStore(postgres.jdbcUrl(database), PostgresServer.USER, PostgresServer.PASSWORD, dataDir);
        store.start();
        return store;
    }
}
