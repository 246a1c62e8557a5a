package org.segmentbridge.sailthru;

import org.segmentbridge.delivery.GoldenActionTest;

/** Each Sailthru action's exact, signed request and its reading of Sailthru's answers: src/test/resources/golden/sailthru/. */
class SailthruGoldenTest extends GoldenActionTest {

    SailthruGoldenTest() {
        super("sailthru", SailthruConnector::new);
    }
}
