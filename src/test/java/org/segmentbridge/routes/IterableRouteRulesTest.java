package org.segmentbridge.routes;

import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

/** The business rules of routes/iterable/*.yaml, each route file alone (see {@link RouteRulesTestSupport}). */
class IterableRouteRulesTest extends RouteRulesTestSupport {

    IterableRouteRulesTest() {
        super("iterable");
    }

    // opt-out.yaml: a consent change, and only a change, (un)subscribes the person from the configured message types.

    @Test
    void anOptOutUnsubscribesFromTheConfiguredMessageTypesAndFromNoWholeChannel() throws Exception {
        expectSteps("identity:require-key");
        expectDeliveries("deliver:iterable:unsubscribe?channels=&messageTypes=101,102");

        runRouteFile("opt-out.yaml", consentChanged("track", "unsubscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aReSubscriptionSubscribesToTheSameMessageTypes() throws Exception {
        expectDeliveries("deliver:iterable:subscribe?channels=&messageTypes=101,102");

        runRouteFile("opt-out.yaml", consentChanged("identify", "subscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void consentThatDidNotChangeIsNotSentAgain() throws Exception {
        expectDeliveries();

        runRouteFile("opt-out.yaml", consentUnchanged("unsubscribed"));
        // Without the intake's mark, an Unsubscribed track is a repeat or an echo of a change already made.
        runRouteFile("opt-out.yaml", track("Unsubscribed"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // purchases.yaml: an order is a purchase; cart changes replace the cart.

    @Test
    void anOrderIsAPurchaseAndEachCartChangeUpdatesTheCart() throws Exception {
        expectDeliveries("deliver:iterable:purchase", "deliver:iterable:cart", "deliver:iterable:cart", "deliver:iterable:cart");

        runRouteFile("purchases.yaml", track("Order Completed", """
                {"order_id": "o-1", "total": 30}"""));
        runRouteFile("purchases.yaml", track("Product Added"));
        runRouteFile("purchases.yaml", track("Product Removed"));
        runRouteFile("purchases.yaml", track("Cart Updated"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void purchasesLeaveOtherCommerceEventsAndIdentifiesAlone() throws Exception {
        expectDeliveries();

        runRouteFile("purchases.yaml", track("Cart Viewed"));
        runRouteFile("purchases.yaml", track("Checkout Started"));
        runRouteFile("purchases.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // custom-events.yaml: every other track is a custom event, behind the email send guard.

    @Test
    void aTrackNoOtherRouteHandlesIsACustomEventBehindTheSendGuard() throws Exception {
        expectSteps("consent:require?channel=email", "identity:require-key");
        expectDeliveries("deliver:iterable:event");

        runRouteFile("custom-events.yaml", track("Video Played"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void aCustomEventIsNotSentToAPersonWhoOptedOutOfEmail() throws Exception {
        closeStep("consent");
        expectDeliveries();

        runRouteFile("custom-events.yaml", track("Video Played"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void tracksOtherRoutesHandleAndIgnoredTracksAreNoCustomEvents() throws Exception {
        expectSteps();
        expectDeliveries();

        for (String handledElsewhere : new String[] {"Order Completed", "Product Added", "Product Removed", "Cart Updated",
                "Audience Entered", "Audience Exited", "Unsubscribed", "Subscribed", "User Deleted"}) {
            runRouteFile("custom-events.yaml", track(handledElsewhere));
        }
        // bridge.iterable.ignored-events
        runRouteFile("custom-events.yaml", track("Application Backgrounded"));
        runRouteFile("custom-events.yaml", track("Application Opened"));
        runRouteFile("custom-events.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // audiences.yaml: an Engage audience, in either form, subscribes to or unsubscribes from its list.

    @Test
    void anAudienceInEitherFormGoesToItsList() throws Exception {
        expectDeliveries("deliver:iterable:audience", "deliver:iterable:audience", "deliver:iterable:audience");

        runRouteFile("audiences.yaml", audienceIdentify("high_value", true));
        runRouteFile("audiences.yaml", audienceTrack("Audience Entered", "high_value"));
        runRouteFile("audiences.yaml", audienceTrack("Audience Exited", "high_value"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void computedTraitsAndPlainEventsAreNoAudience() throws Exception {
        expectDeliveries();

        runRouteFile("audiences.yaml", computedTrait("preferred_hour", "9"));
        runRouteFile("audiences.yaml", identify("""
                {"high_value": true}"""));
        runRouteFile("audiences.yaml", track("Audience Entered"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // email-change.yaml, user-update.yaml: identifies keep the user, renamed first when the email changed.

    @Test
    void anIdentifyWithANewEmailRenamesTheUser() throws Exception {
        expectDeliveries("deliver:iterable:update-email");

        runRouteFile("email-change.yaml", """
                {"type": "identify", "userId": "u-1", "traits": {"email": "new@example.com"},
                 "context": {"bridge": {"previousKey": "old@example.com"}}}""");
        runRouteFile("email-change.yaml", identify("""
                {"email": "same@example.com"}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void identifiesAndNothingElseUpdateTheUserWithTheUserMapping() throws Exception {
        expectDeliveries("deliver:iterable:user-update?mapping=iterable-user");

        runRouteFile("user-update.yaml", identify("{}"));
        runRouteFile("user-update.yaml", track("Video Played"));
        runRouteFile("user-update.yaml", page());

        MockEndpoint.assertIsSatisfied(context);
    }

    // erase.yaml: a deletion, in either form, erases the user by the key the intake kept.

    @Test
    void aDeletionInEitherFormErasesTheUser() throws Exception {
        expectSteps("identity:resolve", "identity:resolve");
        expectDeliveries("deliver:iterable:erase", "deliver:iterable:erase");

        runRouteFile("erase.yaml", delete());
        runRouteFile("erase.yaml", track("User Deleted"));
        runRouteFile("erase.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    // onboarding.yaml, churn.yaml: journeys started once, behind the send guard.

    @Test
    void aPersonsFirstIdentifyStartsOnboardingWithTheSignupMapping() throws Exception {
        expectSteps("once:iterable-onboarding", "consent:require?channel=email", "identity:require-key");
        expectDeliveries("deliver:iterable:event?event=onboardingStarted&mapping=iterable-signup");

        runRouteFile("onboarding.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void onboardingStartsNoMoreOnceThePersonWasSeen() throws Exception {
        closeStep("once");
        expectDeliveries();

        runRouteFile("onboarding.yaml", identify("{}"));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void crossingTheChurnThresholdSendsTheReEngagementEvent() throws Exception {
        expectSteps("crossing:iterable-churn?atLeast=60&path=$.traits.days_since_last_order", "consent:require?channel=email",
                "identity:require-key");
        expectDeliveries("deliver:iterable:event?event=reengagementNeeded");

        runRouteFile("churn.yaml", identify("""
                {"days_since_last_order": 61}"""));

        MockEndpoint.assertIsSatisfied(context);
    }

    @Test
    void noReEngagementEventWithoutACrossingOrForATrack() throws Exception {
        closeStep("crossing");
        expectSteps("crossing:iterable-churn?atLeast=60&path=$.traits.days_since_last_order");
        expectDeliveries();

        runRouteFile("churn.yaml", identify("""
                {"days_since_last_order": 61}"""));
        runRouteFile("churn.yaml", track("Order Completed"));

        MockEndpoint.assertIsSatisfied(context);
    }
}
