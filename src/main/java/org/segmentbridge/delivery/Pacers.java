package org.segmentbridge.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import org.segmentbridge.state.StateDialect;
import org.segmentbridge.state.StateStore;

/**
 * One pacer per credential (and per endpoint of it), shared by every destination that spends that credential: kept
 * in this process, or, when the state database is PostgreSQL (which several bridges may share), in that database, so
 * every bridge on it paces the credential together ({@link SharedPacing}).
 */
public final class Pacers {

    private final Map<String, RequestPacer> pacers = new ConcurrentHashMap<>();
    private final BiFunction<String, Rate, PacingState> states;
    private final boolean shared;

    /** Pacers of this process alone. */
    public Pacers() {
        this((key, rate) -> new LocalPacing(rate), false);
    }

    private Pacers(BiFunction<String, Rate, PacingState> states, boolean shared) {
        this.states = states;
        this.shared = shared;
    }

    /**
     * Pacers for the bridge whose state is {@code store}: shared through it when it is PostgreSQL, this process's own
     * when it is the embedded H2 file (which one bridge alone opens). Nothing is read from the store until a pacer is
     * used, so the store may start later.
     */
    public static Pacers of(StateStore store) {
        if (store.dialect() != StateDialect.POSTGRESQL) {
            return new Pacers();
        }
        return new Pacers(new SharedPacing(store)::state, true);
    }

    /** Whether these pacers are shared with the other bridges on the state database. */
    public boolean shared() {
        return shared;
    }

    RequestPacer pacer(String key, Rate rate) {
        return pacers.computeIfAbsent(key, ignored -> new RequestPacer(states.apply(key, rate)));
    }
}
