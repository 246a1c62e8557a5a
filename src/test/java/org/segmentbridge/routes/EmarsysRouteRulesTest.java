package org.segmentbridge.routes;

import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

/** The business rules of routes/emarsys/*.yaml, each route file alone (see {@link RouteRulesTestSupport}). */
class EmarsysRouteRulesTest extends RouteRulesTestSupport {

    EmarsysRouteRulesTest() {
        super("emarsys");
    }

    // external-events.yaml: the rule table from tracks to external events, behind the email send guard.

    @Test
    void eachRuleTriggersItsExternalEventWithTheEventDataMapping() throws Exception {
        expectDeliveries(
                "deliver:emarsys:trigger?event=signed_up&mapping=emarsys-event-data",
                "deliver:emarsys:trigger?event=checkout_started&mapping=emarsys-event-data",
                "deliver:emarsys:trigger?event=premium_product_viewed&mapping=emarsys-event-data");

        runRouteFile("external-events.yaml", track("Signed Up"));
        runRouteFile("external-events.yaml", track("Checkout Started"));
        runRouteFile("external-events.yaml", track("Product Viewed", """
                {"price": 100}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aProductViewUnderTheRulesPriceAndAnUnlistedTrackTriggerNothing() throws Exception {
        // The send guard comes before the rule table, so it sees every track.
        expectSteps("consent:require?channel=email", "consent:require?channel=email", "consent:require?channel=email");
        expectDeliveries();

        runRouteFile("external-events.yaml", track("Product Viewed", """
                {"price": 99.99}"""));
        runRouteFile("external-events.yaml", track("Product Viewed"));
        runRouteFile("external-events.yaml", track("Video Played"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void externalEventsAreOnlyForTracks() throws Exception {
        expectSteps();
        expectDeliveries();

        runRouteFile("external-events.yaml", identify("{}"));
        runRouteFile("external-events.yaml", page());

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void noExternalEventForAPersonWhoOptedOutOfEmail() throws Exception {
        closeStep("consent");
        expectDeliveries();

        runRouteFile("external-events.yaml", track("Signed Up"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // audiences.yaml: an Engage audience, as an identify or as Audience Entered / Exited, goes to its contact list.

    @Test
    void anAudienceInEitherFormGoesToItsContactList() throws Exception {
        expectSteps("identity:require-key", "identity:require-key", "identity:require-key");
        expectDeliveries("deliver:emarsys:audience", "deliver:emarsys:audience", "deliver:emarsys:audience");

        runRouteFile("audiences.yaml", audienceIdentify("high_value", false));
        runRouteFile("audiences.yaml", audienceTrack("Audience Entered", "high_value"));
        runRouteFile("audiences.yaml", audienceTrack("Audience Exited", "high_value"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void otherAudienceTracksComputedTraitsAndPlainIdentifiesAreNoAudience() throws Exception {
        expectDeliveries();

        runRouteFile("audiences.yaml", audienceTrack("Audience Updated", "high_value"));
        runRouteFile("audiences.yaml", computedTrait("preferred_hour", "9"));
        runRouteFile("audiences.yaml", identify("""
                {"high_value": true}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    // opt-out.yaml: a consent change sets the opt-in field through its own mapping; repeats are not sent.

    @Test
    void aConsentChangeSetsTheOptInFieldEitherWay() throws Exception {
        expectDeliveries("deliver:emarsys:contact-upsert?mapping=emarsys-opt-out",
                "deliver:emarsys:contact-upsert?mapping=emarsys-opt-in");

        runRouteFile("opt-out.yaml", consentChanged("track", "unsubscribed"));
        runRouteFile("opt-out.yaml", consentChanged("identify", "subscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void consentThatDidNotChangeIsNotSentAgain() throws Exception {
        expectDeliveries();

        runRouteFile("opt-out.yaml", consentUnchanged("unsubscribed"));
        runRouteFile("opt-out.yaml", consentUnchanged("subscribed"));
        runRouteFile("opt-out.yaml", track("Unsubscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // vip-fast-track.yaml: crossing the VIP threshold marks, lists and triggers, in that order, once per crossing.

    @Test
    void crossingTheVipThresholdMarksListsAndTriggersInThatOrder() throws Exception {
        expectSteps("crossing:emarsys-vip?atLeast=1000&path=$.traits.lifetime_value", "consent:require?channel=email",
                "identity:require-key");
        expectDeliveries(
                "deliver:emarsys:contact-upsert?mapping=emarsys-vip",
                "deliver:emarsys:list-add?list=VIP Customers",
                "deliver:emarsys:trigger?event=vip_entered&mapping=emarsys-vip-event");

        runRouteFile("vip-fast-track.yaml", identify("""
                {"lifetime_value": 1200}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void noVipStepsWithoutACrossingOrForAPersonWhoOptedOut() throws Exception {
        closeStep("crossing");
        expectDeliveries();

        runRouteFile("vip-fast-track.yaml", identify("""
                {"lifetime_value": 1200}"""));
        runRouteFile("vip-fast-track.yaml", track("Order Completed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void theVipProgramSkipsAPersonWhoOptedOutOfEmail() throws Exception {
        closeStep("consent");
        expectDeliveries();

        runRouteFile("vip-fast-track.yaml", identify("""
                {"lifetime_value": 1200}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    // order-completed.yaml, contact-upsert.yaml, contact-delete.yaml

    @Test
    void anOrderUpdatesTheOrderFactsThenTriggersTheConfirmationWithItsProducts() throws Exception {
        expectDeliveries("deliver:emarsys:contact-upsert?mapping=emarsys-order-facts",
                "deliver:emarsys:trigger?event=order_completed&mapping=emarsys-order-data&sections=products");

        runRouteFile("order-completed.yaml", track("Order Completed", """
                {"order_id": "o-1", "products": [{"product_id": "p-1"}]}"""));
        runRouteFile("order-completed.yaml", track("Checkout Started"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void identifiesPagesAndScreensUpsertTheContactButTracksDoNot() throws Exception {
        expectDeliveries("deliver:emarsys:contact-upsert?mapping=emarsys-contact",
                "deliver:emarsys:contact-upsert?mapping=emarsys-contact",
                "deliver:emarsys:contact-upsert?mapping=emarsys-contact");

        runRouteFile("contact-upsert.yaml", identify("{}"));
        runRouteFile("contact-upsert.yaml", page());
        runRouteFile("contact-upsert.yaml", """
                {"type": "screen", "userId": "u-1", "name": "Home"}""");
        runRouteFile("contact-upsert.yaml", track("Signed Up"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aDeletionInEitherFormDeletesTheContactByTheKeptKey() throws Exception {
        expectSteps("identity:resolve", "identity:resolve");
        expectDeliveries("deliver:emarsys:contact-delete", "deliver:emarsys:contact-delete");

        runRouteFile("contact-delete.yaml", delete());
        runRouteFile("contact-delete.yaml", track("User Deleted"));
        runRouteFile("contact-delete.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }
}
