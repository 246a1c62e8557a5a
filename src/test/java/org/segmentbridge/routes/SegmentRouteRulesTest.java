package org.segmentbridge.routes;

import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

/** The business rule of routes/segment/back-flow.yaml (see {@link RouteRulesTestSupport}). */
class SegmentRouteRulesTest extends RouteRulesTestSupport {

    SegmentRouteRulesTest() {
        super("segment");
    }

    @Test
    void engagementAVendorReportedGoesBackToSegmentButSegmentsOwnEventsDoNot() throws Exception {
        expectDeliveries("deliver:segment:batch");

        runRouteFile("back-flow.yaml", """
                {"type": "track", "userId": "u-1", "event": "Email Opened",
                 "context": {"integration": {"name": "sailthru"}}}""");
        runRouteFile("back-flow.yaml", track("Email Opened"));

        MockEndpoint.assertIsSatisfied(context);
    }
}
