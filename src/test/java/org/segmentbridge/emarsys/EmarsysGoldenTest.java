package org.segmentbridge.emarsys;

import org.segmentbridge.delivery.GoldenActionTest;

/** Each Emarsys action's exact request and its reading of Emarsys' answers: src/test/resources/golden/emarsys/. */
class EmarsysGoldenTest extends GoldenActionTest {

    EmarsysGoldenTest() {
        super("emarsys", EmarsysConnector::new);
    }
}
