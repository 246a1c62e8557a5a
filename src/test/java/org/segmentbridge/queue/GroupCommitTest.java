package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * Concurrent appends share commits, each is completed by its own group's outcome, a failure reaches every append of its
 * group, and an append whose commit hangs is failed after the wait, with no thread of its sender waiting meanwhile.
 */
class GroupCommitTest {

    private static List<IntakeLog.Entry> events(String person, int count) {
        List<IntakeLog.Entry> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            events.add(new IntakeLog.Entry("track", person + "-" + i, person, "{\"n\":" + i + "}"));
        }
        return events;
    }

    @Test
    void appendsWaitingWhileACommitRunsShareTheNextOne() throws Exception {
        List<List<GroupCommit.Append>> groups = new CopyOnWriteArrayList<>();
        CountDownLatch firstCommitStarted = new CountDownLatch(1);
        CountDownLatch releaseFirstCommit = new CountDownLatch(1);
        GroupCommit.Writer writer = new GroupCommit.Writer() {
            @Override
            public void write(List<GroupCommit.Append> group) throws InterruptedException {
                groups.add(List.copyOf(group));
                if (groups.size() == 1) {
                    firstCommitStarted.countDown();
                    releaseFirstCommit.await(10, TimeUnit.SECONDS);
                }
            }

            @Override
            public void reset() {
            }
        };
        try (GroupCommit commit = new GroupCommit("test-commit", writer)) {
            CompletableFuture<Void> first = commit.append(events("first", 1), "test", IntakeLog.Kind.EVENT, Instant.now());
            assertThat(firstCommitStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<Void>> waiting = new ArrayList<>();
            for (int sender = 0; sender < 10; sender++) {
                waiting.add(commit.append(events("p" + sender, 3), "test", IntakeLog.Kind.EVENT, Instant.now()));
            }
            // None of them is completed while the commit before theirs has not ended: they wait, together.
            assertThat(commit.waitingAppends()).isEqualTo(10);
            assertThat(waiting).noneMatch(CompletableFuture::isDone);
            assertThat(first).isNotDone();
            releaseFirstCommit.countDown();
            first.get(10, TimeUnit.SECONDS);
            for (CompletableFuture<Void> each : waiting) {
                each.get(10, TimeUnit.SECONDS);
            }
        }
        assertThat(groups).hasSize(2);
        assertThat(groups.get(1)).hasSize(10);
        assertThat(groups.get(1).stream().mapToInt(append -> append.events().size()).sum()).isEqualTo(30);
    }

    @Test
    void aFailedCommitFailsEveryAppendOfItsGroupAndTheNextGroupStartsAfresh() throws Exception {
        AtomicBoolean failNext = new AtomicBoolean(true);
        AtomicInteger resets = new AtomicInteger();
        GroupCommit.Writer writer = new GroupCommit.Writer() {
            @Override
            public void write(List<GroupCommit.Append> group) {
                if (failNext.getAndSet(false)) {
                    throw new IllegalStateException("journal full");
                }
            }

            @Override
            public void reset() {
                resets.incrementAndGet();
            }
        };
        try (GroupCommit commit = new GroupCommit("test-commit", writer)) {
            assertThatThrownBy(() -> IntakeLog.await(commit.append(events("a", 2), "test", IntakeLog.Kind.EVENT, Instant.now())))
                    .isInstanceOf(EventQueue.QueueUnavailableException.class)
                    .hasMessageContaining("journal full");
            assertThat(resets).hasValue(1);
            IntakeLog.await(commit.append(events("b", 2), "test", IntakeLog.Kind.EVENT, Instant.now()));
            assertThat(resets).hasValue(1);
        }
    }

    @Test
    void aClosedLogRefusesAppends() {
        GroupCommit commit = new GroupCommit("test-commit", new GroupCommit.Writer() {
            @Override
            public void write(List<GroupCommit.Append> group) {
            }

            @Override
            public void reset() {
            }
        });
        commit.close();
        assertThatThrownBy(() -> IntakeLog.await(commit.append(events("c", 1), "test", IntakeLog.Kind.EVENT, Instant.now())))
                .isInstanceOf(EventQueue.QueueUnavailableException.class)
                .hasMessageContaining("the intake log is closed");
    }

    @Test
    void anAppendWhoseCommitHangsFailsAfterTheWaitAndSoDoesOneQueuedBehindIt() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch hang = new CountDownLatch(1);
        GroupCommit.Writer writer = new GroupCommit.Writer() {
            @Override
            public void write(List<GroupCommit.Append> group) throws InterruptedException {
                writing.countDown();
                hang.await(10, TimeUnit.SECONDS);
            }

            @Override
            public void reset() {
            }
        };
        try (GroupCommit commit = new GroupCommit("test-commit", writer, Duration.ofMillis(300))) {
            long started = System.nanoTime();
            CompletableFuture<Void> beingWritten = commit.append(events("d", 1), "test", IntakeLog.Kind.EVENT, Instant.now());
            assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> queuedBehind = commit.append(events("e", 1), "test", IntakeLog.Kind.EVENT, Instant.now());
            for (CompletableFuture<Void> append : List.of(beingWritten, queuedBehind)) {
                assertThatThrownBy(() -> IntakeLog.await(append))
                        .isInstanceOf(EventQueue.QueueUnavailableException.class)
                        .hasMessageContaining("the intake log did not commit within 300 ms");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            hang.countDown();
        }
    }
}
