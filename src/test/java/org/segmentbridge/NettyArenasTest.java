package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Netty's arenas follow the cores up to a bound: direct ones (the HTTP servers' buffers) two per core, heap ones (each a
 * 4 MB chunk the collector never frees, for Artemis' in-VM packets) one per two cores, never none.
 */
class NettyArenasTest {

    private static final String DIRECT = "io.netty.allocator.numDirectArenas";
    private static final String HEAP = "io.netty.allocator.numHeapArenas";

    @Test
    void oneCoreStillGetsAHeapArena() {
        assertThat(Bridge.nettyArenas(1)).containsEntry(DIRECT, 2).containsEntry(HEAP, 1);
    }

    @Test
    void twoCoresGetFourDirectArenasAndOneOnTheHeap() {
        assertThat(Bridge.nettyArenas(2)).containsEntry(DIRECT, 4).containsEntry(HEAP, 1);
    }

    @Test
    void largeMachinesGetNoMoreThanFourOfEach() {
        assertThat(Bridge.nettyArenas(6)).containsEntry(DIRECT, 4).containsEntry(HEAP, 3);
        assertThat(Bridge.nettyArenas(64)).containsEntry(DIRECT, 4).containsEntry(HEAP, 4);
    }
}
