package org.segmentbridge.delivery;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The last N requests of one pacer in this process, for {@link LocalPacing}: request number k holds slot
 * {@code k mod N} until request {@code k + N} starts, which it may only once request k ended a period ago (see
 * {@link RequestPacer} for why that keeps any window under N). Times are read from one clock, in whatever unit its
 * {@code period} is given in. Not thread-safe: its owner serialises the calls.
 */
final class SlidingWindow {

    /** {@link Slot#endedAt} of a request still in flight. */
    static final long IN_FLIGHT = Long.MAX_VALUE;
    /** Times of a slot no request has held yet: free at any time, and far enough from the ends that adding a period cannot overflow. */
    static final long NEVER = Long.MIN_VALUE / 4;

    /**
     * One slot: the request holding it, when that request ended ({@link #IN_FLIGHT} until it does), and the latest it
     * may end (its start plus the longest a request may take), after which it counts as ended even if no end is ever
     * recorded.
     */
    record Slot(long request, long endedAt, long endsBy) {

        static Slot unused(long request) {
            return new Slot(request, NEVER, NEVER);
        }

        static Slot started(long request, long now, long longest) {
            return new Slot(request, IN_FLIGHT, now + longest);
        }

        boolean inFlight() {
            return endedAt == IN_FLIGHT;
        }

        /**
         * When the request that takes this slot next may start: a period after this one ended, or after the latest it
         * may end. The earlier of the two is enough, since the vendor received the request before either.
         */
        long freeAt(long period) {
            return Math.min(endedAt, endsBy) + period;
        }

        /** The soonest the slot can be free, as far as is known {@code now}: a request in flight ends at now at the earliest. */
        long soonestFree(long now, long period) {
            return inFlight() ? Math.min(endsBy, now) + period : freeAt(period);
        }
    }

    /** A request started: its number, and what its slot held before (so the start can be undone). */
    record Start(long request, Slot previous) {
    }

    /** Slots a new window holds before its first requests; it grows by doubling up to its size. */
    private static final int FIRST_SLOTS = 64;

    private final long period;
    private final LongSupplier clock;
    private final int size;
    /**
     * The slots requests have held so far: slot k for k at or past the array's length was never held. It grows as
     * requests start, so a window of a limit set high (100,000 a second, say) costs memory only for what is used.
     */
    private Slot[] slots;
    private long next;

    SlidingWindow(int requests, long period, LongSupplier clock) {
        this.period = period;
        this.clock = clock;
        this.size = requests;
        this.slots = new Slot[Math.min(requests, FIRST_SLOTS)];
    }

    /** Starts the next request if its slot is free; null when it is not. */
    Start tryStart(long longest) {
        long now = clock.getAsLong();
        int index = index(next);
        Slot previous = slot(index);
        if (previous.freeAt(period) > now) {
            return null;
        }
        Start start = new Start(next, previous);
        put(index, Slot.started(next, now, longest));
        next++;
        return start;
    }

    /** How long from now until the next request's slot can be free, by what is known now; zero when it is. */
    long untilFree() {
        long now = clock.getAsLong();
        return Math.max(0, slot(index(next)).soonestFree(now, period) - now);
    }

    /** The request ended (answered, failed or timed out) now; nothing when its slot is another's already. */
    void end(long request) {
        int index = index(request);
        Slot slot = slot(index);
        if (slot.request() == request && slot.inFlight()) {
            put(index, new Slot(request, clock.getAsLong(), slot.endsBy()));
        }
    }

    /**
     * The request was not sent after all: when no request started after it, the window is as if it never started;
     * otherwise it ended now (its slot then frees a period later, which only paces more slowly).
     */
    void giveBack(Start start) {
        int index = index(start.request());
        if (next == start.request() + 1 && slot(index).request() == start.request()) {
            put(index, start.previous());
            next--;
        } else {
            end(start.request());
        }
    }

    private int index(long request) {
        return (int) Math.floorMod(request, (long) size);
    }

    private Slot slot(int index) {
        Slot slot = index < slots.length ? slots[index] : null;
        return slot == null ? Slot.unused(index - size) : slot;
    }

    private void put(int index, Slot slot) {
        if (index >= slots.length) {
            slots = Arrays.copyOf(slots, Math.min(size, Math.max(index + 1, slots.length * 2)));
        }
        slots[index] = slot;
    }
}
