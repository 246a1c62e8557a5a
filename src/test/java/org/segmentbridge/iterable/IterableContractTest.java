package org.segmentbridge.iterable;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The contract check the Iterable tests rely on does reject what Iterable's API description forbids. */
class IterableContractTest {

    @Test
    void acceptsAValidTrackAndRejectsAMalformedOne() {
        assertThat(IterableFake.validate("POST", "/api/events/track",
                "{\"eventName\":\"E\",\"email\":\"a@b.c\",\"createdAt\":1795341900,\"dataFields\":{\"any\":1}}").hasErrors()).isFalse();
        assertThat(IterableFake.validate("POST", "/api/events/track",
                "{\"email\":\"a@b.c\",\"createdAt\":\"yesterday\"}").hasErrors()).as("no eventName, createdAt not a number").isTrue();
        assertThat(IterableFake.validate("POST", "/api/commerce/trackPurchase",
                "{\"user\":{\"email\":\"a@b.c\"},\"items\":[{\"id\":\"p\"}],\"total\":1}").hasErrors()).as("items lack name, price, quantity").isTrue();
    }
}
