package org.segmentbridge.routes;

import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

/** The business rules of routes/sailthru/*.yaml, each route file alone (see {@link RouteRulesTestSupport}). */
class SailthruRouteRulesTest extends RouteRulesTestSupport {

    SailthruRouteRulesTest() {
        super("sailthru");
    }

    // custom-events.yaml: the rule table from tracks to Lifecycle Optimizer events, behind the email send guard.

    @Test
    void eachRuleSendsItsCustomEvent() throws Exception {
        expectDeliveries("deliver:sailthru:event?event=signed_up", "deliver:sailthru:event?event=product_viewed",
                "deliver:sailthru:event?event=high_value_checkout");

        runRouteFile("custom-events.yaml", track("Signed Up"));
        runRouteFile("custom-events.yaml", track("Product Viewed"));
        runRouteFile("custom-events.yaml", track("Checkout Started", """
                {"value": 50}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aCheckoutUnderTheRulesValueAndUnlistedTracksSendNothing() throws Exception {
        expectDeliveries();

        runRouteFile("custom-events.yaml", track("Checkout Started", """
                {"value": 49.5}"""));
        runRouteFile("custom-events.yaml", track("Order Completed"));
        runRouteFile("custom-events.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void noCustomEventForAPersonWhoOptedOutOfEmail() throws Exception {
        closeStep("consent");
        expectSteps("consent:require?channel=email");
        expectDeliveries();

        runRouteFile("custom-events.yaml", track("Signed Up"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // opt-out.yaml: a consent change sets optout_email to the configured value, or back to none.

    @Test
    void anOptOutSetsTheConfiguredValueAndAReSubscriptionSetsNone() throws Exception {
        expectDeliveries("deliver:sailthru:optout?value=basic", "deliver:sailthru:optout?value=none");

        runRouteFile("opt-out.yaml", consentChanged("track", "unsubscribed"));
        runRouteFile("opt-out.yaml", consentChanged("identify", "subscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void consentThatDidNotChangeIsNotSentAgain() throws Exception {
        expectDeliveries();

        runRouteFile("opt-out.yaml", consentUnchanged("unsubscribed"));
        runRouteFile("opt-out.yaml", track("Unsubscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // purchases.yaml: an order is a purchase, a cart event an incomplete purchase; both fill product urls.

    @Test
    void anOrderIsAPurchaseAndCartEventsAreIncompletePurchases() throws Exception {
        expectSteps("identity:resolve", "identity:resolve", "identity:resolve");
        expectDeliveries("deliver:sailthru:purchase?urlPattern=https://shop.test/p/{product_id}",
                "deliver:sailthru:incomplete-purchase?urlPattern=https://shop.test/p/{product_id}",
                "deliver:sailthru:incomplete-purchase?urlPattern=https://shop.test/p/{product_id}");

        runRouteFile("purchases.yaml", track("Order Completed"));
        runRouteFile("purchases.yaml", track("Product Added"));
        runRouteFile("purchases.yaml", track("Cart Viewed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void purchasesLeaveCheckoutsAndIdentifiesAlone() throws Exception {
        expectDeliveries();

        runRouteFile("purchases.yaml", track("Checkout Started"));
        runRouteFile("purchases.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // audiences.yaml, computed-traits.yaml: Engage audiences to lists, computed traits to profile vars.

    @Test
    void anAudienceInEitherFormGoesToItsList() throws Exception {
        expectDeliveries("deliver:sailthru:audience", "deliver:sailthru:audience");

        runRouteFile("audiences.yaml", audienceIdentify("high_value", true));
        runRouteFile("audiences.yaml", audienceTrack("Audience Exited", "high_value"));
        runRouteFile("audiences.yaml", computedTrait("preferred_hour", "9"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aComputedTraitUpdatesTheProfileVarsButAnAudienceDoesNot() throws Exception {
        expectDeliveries("deliver:sailthru:user?mapping=sailthru-computed-traits");

        runRouteFile("computed-traits.yaml", computedTrait("preferred_hour", "9"));
        runRouteFile("computed-traits.yaml", audienceIdentify("high_value", true));
        runRouteFile("computed-traits.yaml", identify("""
                {"preferred_hour": 9}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    // user-upsert.yaml, user-delete.yaml

    @Test
    void identifiesAndNothingElseUpsertTheUserWithTheUserVarsMapping() throws Exception {
        expectDeliveries("deliver:sailthru:user?mapping=sailthru-user-vars");

        runRouteFile("user-upsert.yaml", identify("{}"));
        runRouteFile("user-upsert.yaml", track("Signed Up"));
        runRouteFile("user-upsert.yaml", page());

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aDeletionInEitherFormDeletesTheUserByTheKeptKey() throws Exception {
        expectSteps("identity:resolve", "identity:resolve");
        expectDeliveries("deliver:sailthru:user-delete", "deliver:sailthru:user-delete");

        runRouteFile("user-delete.yaml", delete());
        runRouteFile("user-delete.yaml", track("User Deleted"));
        runRouteFile("user-delete.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }
}
