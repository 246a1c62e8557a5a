package org.segmentbridge.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.segmentbridge.state.StateStore;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * {@code crossing:} and {@code once:} with two bridges weighing the same persons at the same moment (one database,
 * each bridge its own store and pool): every crossing fires once, never once in each bridge, and never fails on the
 * other's row. On PostgreSQL (cluster mode) and on H2, whose row locks the same statements rely on.
 */
class SharedCrossingsTest {

    private static final int PERSONS = 120;

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aCrossingTwoBridgesSeeAtOnceFiresOnce(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            ThresholdCrossings a = crossings(database.newStore());
            ThresholdCrossings b = crossings(database.newStore());
            // Every person was seen below the VIP threshold before.
            for (int person = 0; person < PERSONS; person++) {
                assertThat(a.moved("vip", "below-" + person, null, false)).isTrue();
            }

            int[] fired = race(a, b, "vip", "below-");

            assertThat(fired).as("crossings fired per person").containsOnly(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2"})
    void aFirstEventTwoBridgesSeeAtOnceFiresOnceAndFailsNowhere(String engine) throws Exception {
        try (SharedStateDatabase database = SharedStateDatabase.named(engine)) {
            ThresholdCrossings a = crossings(database.newStore());
            ThresholdCrossings b = crossings(database.newStore());

            int[] fired = race(a, b, "welcome", "new-");

            assertThat(fired).as("once: per person").containsOnly(1);
        }
    }

    private static ThresholdCrossings crossings(StateStore store) {
        return new ThresholdCrossings(store, new IdentityStore(store, List.of("$.traits.email")));
    }

    /** Both bridges move every person above at once (a barrier per person); how many moves fired, per person. */
    private static int[] race(ThresholdCrossings a, ThresholdCrossings b, String rule, String prefix) throws Exception {
        List<CyclicBarrier> barriers = new ArrayList<>();
        for (int person = 0; person < PERSONS; person++) {
            barriers.add(new CyclicBarrier(2));
        }
        int[] fired = new int[PERSONS];
        ExecutorService bridges = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (ThresholdCrossings bridge : List.of(a, b)) {
                runs.add(bridges.submit(() -> {
                    for (int person = 0; person < PERSONS; person++) {
                        barriers.get(person).await(10, TimeUnit.SECONDS);
                        if (bridge.moved(rule, prefix + person, null, true)) {
                            synchronized (fired) {
                                fired[person]++;
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get(60, TimeUnit.SECONDS);
            }
        } finally {
            bridges.shutdownNow();
        }
        return fired;
    }
}
