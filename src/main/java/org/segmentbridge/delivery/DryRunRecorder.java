package org.segmentbridge.delivery;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The latest requests built in dry-run, newest first, bounded so a busy bridge does not fill its heap. */
public final class DryRunRecorder {

    public record Recorded(Instant at, String destination, String action, int items, OutboundRequest request) {
    }

    private final int capacity;
    private final Deque<Recorded> recent = new ArrayDeque<>();

    public DryRunRecorder(int capacity) {
        this.capacity = capacity;
    }

    public synchronized void record(Recorded recorded) {
        recent.addFirst(recorded);
        while (recent.size() > capacity) {
            recent.removeLast();
        }
    }

    /** Newest first; {@code destination} null for all. */
    public synchronized List<Recorded> recent(String destination, int limit) {
        List<Recorded> selected = new ArrayList<>();
        for (Recorded recorded : recent) {
            if (selected.size() == limit) {
                break;
            }
            if (destination == null || destination.equals(recorded.destination())) {
                selected.add(recorded);
            }
        }
        return selected;
    }
}
