package org.segmentbridge.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A pacer's state in this process alone: the embedded H2 state, where one bridge spends each credential. The window
 * reads {@link System#nanoTime}, which no clock adjustment moves.
 */
final class LocalPacing implements PacingState {

    private final SlidingWindow window;
    private final AtomicReference<Instant> pausedUntil = new AtomicReference<>(Instant.MIN);

    LocalPacing(Rate rate) {
        this.window = new SlidingWindow(Math.toIntExact(rate.requests()), rate.period().toNanos(), System::nanoTime);
    }

    @Override
    public synchronized Take take(Duration longest) {
        SlidingWindow.Start start = window.tryStart(longest.toNanos());
        return start == null ? Take.refused(Duration.ofNanos(window.untilFree())) : Take.granted(new Permit(start));
    }

    @Override
    public Instant pausedUntil() {
        return pausedUntil.get();
    }

    @Override
    public void pauseUntil(Instant until) {
        pausedUntil.accumulateAndGet(until, RequestPacer::later);
    }

    /** A request's slot in the window; ended or given back once, whichever comes first. */
    private final class Permit implements RequestPacer.Permit {

        private final SlidingWindow.Start start;
        private final AtomicBoolean settled = new AtomicBoolean();

        Permit(SlidingWindow.Start start) {
            this.start = start;
        }

        @Override
        public void done() {
            if (settled.compareAndSet(false, true)) {
                synchronized (LocalPacing.this) {
                    window.end(start.request());
                }
            }
        }

        @Override
        public void giveBack() {
            if (settled.compareAndSet(false, true)) {
                synchronized (LocalPacing.this) {
                    window.giveBack(start);
                }
            }
        }
    }
}
