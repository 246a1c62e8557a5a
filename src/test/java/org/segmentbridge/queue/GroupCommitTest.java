package org.segmentbridge.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Concurrent appends share commits, each is answered by its own group's outcome, and a failure reaches every append of its group. */
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
        ExecutorService senders = Executors.newFixedThreadPool(11);
        try (GroupCommit commit = new GroupCommit("test-commit", writer)) {
            Future<?> first = senders.submit(() -> commit.append(events("first", 1), "test", IntakeLog.Kind.EVENT, Instant.now()));
            assertThat(firstCommitStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<?>> waiting = new ArrayList<>();
            for (int sender = 0; sender < 10; sender++) {
                String person = "p" + sender;
                waiting.add(senders.submit(() -> commit.append(events(person, 3), "test", IntakeLog.Kind.EVENT, Instant.now())));
            }
            // None of them is answered while the commit before theirs has not ended: they wait, together.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> commit.waitingAppends() == 10);
            assertThat(waiting).noneMatch(Future::isDone);
            releaseFirstCommit.countDown();
            first.get(10, TimeUnit.SECONDS);
            for (Future<?> each : waiting) {
                each.get(10, TimeUnit.SECONDS);
            }
        } finally {
            senders.shutdownNow();
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
            assertThatThrownBy(() -> commit.append(events("a", 2), "test", IntakeLog.Kind.EVENT, Instant.now()))
                    .isInstanceOf(EventQueue.QueueUnavailableException.class)
                    .hasMessageContaining("journal full");
            assertThat(resets).hasValue(1);
            commit.append(events("b", 2), "test", IntakeLog.Kind.EVENT, Instant.now());
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
        assertThatThrownBy(() -> commit.append(events("c", 1), "test", IntakeLog.Kind.EVENT, Instant.now()))
                .isInstanceOf(EventQueue.QueueUnavailableException.class);
    }
}
