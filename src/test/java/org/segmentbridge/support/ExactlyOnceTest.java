package org.segmentbridge.support;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class ExactlyOnceTest {

    @Test
    void passesWhenEachArrivedOnceAndNoSecondFollows() {
        AtomicInteger first = new AtomicInteger(1);
        AtomicInteger second = new AtomicInteger(1);
        assertThatCode(() -> ExactlyOnce.of("first", first::get).and("second", second::get).check()).doesNotThrowAnyException();
    }

    @Test
    void failsNamingTheOneOfWhichASecondArrivedWhileTheyWereWatched() {
        AtomicInteger calm = new AtomicInteger(1);
        long arrived = System.nanoTime();
        // One second after the first: inside the quiet stretch, which all of them share.
        ExactlyOnce twice = ExactlyOnce.of("calm", calm::get)
                .and("repeated", () -> System.nanoTime() - arrived > 1_000_000_000L ? 2 : 1);
        assertThatThrownBy(twice::check).isInstanceOf(AssertionError.class).hasMessageContaining("repeated");
    }
}
