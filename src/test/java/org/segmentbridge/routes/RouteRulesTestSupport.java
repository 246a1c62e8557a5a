package org.segmentbridge.routes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.segmentbridge.delivery.EventRoutes;
import org.segmentbridge.delivery.RouteGate;
import org.segmentbridge.queue.EventQueue;

/**
 * Camel unit tests of the business rules in one vendor's shipped route files ({@code routes/<vendor>/*.yaml}): for a
 * Segment event, which {@code deliver:} calls (destination, action, parameters) a route file makes, in which order,
 * behind which steps, and which events it leaves alone. Nothing else of the bridge runs: no broker, no HTTP, no
 * database, no delivery; the engine and the vendors' requests are covered by the full-bridge and golden tests.
 *
 * <p>The real route files are loaded with Camel's YAML DSL into the test's CamelContext. Each route's
 * {@code from: events:<vendor>} is replaced ({@link #replaceRouteFromWith}) by {@code direct:<file name>}, so a
 * test runs one route file on one event, synchronously, as the delivery does once per route; the steps it calls are
 * {@link RecordingStep} doubles recording into {@code mock:deliver} (the vendor calls) and {@code mock:steps}
 * (identity, consent, crossing, once). The sends are synchronous, so the mocks are complete when the send returns
 * and need no waiting (no NotifyBuilder).
 */
abstract class RouteRulesTestSupport extends CamelTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The settings the route files read as placeholders. Some differ from the shipped defaults, so a test that
     * expects them shows the route reads the setting instead of a written value.
     */
    private static final Map<String, String> SETTINGS = Map.ofEntries(
            Map.entry("bridge.iterable.unsubscribe-message-types", "101,102"),
            Map.entry("bridge.iterable.ignored-events", "Application Backgrounded,Application Opened"),
            Map.entry("bridge.iterable.onboarding-event", "onboardingStarted"),
            Map.entry("bridge.iterable.churn.trait", "$.traits.days_since_last_order"),
            Map.entry("bridge.iterable.churn.threshold", "60"),
            Map.entry("bridge.iterable.churn.event", "reengagementNeeded"),
            Map.entry("bridge.emarsys.vip.trait", "$.traits.lifetime_value"),
            Map.entry("bridge.emarsys.vip.threshold", "1000"),
            Map.entry("bridge.emarsys.vip.list", "VIP Customers"),
            Map.entry("bridge.emarsys.vip.event", "vip_entered"),
            Map.entry("bridge.sailthru.optout-value", "basic"),
            Map.entry("bridge.sailthru.product-url-pattern", "https://shop.test/p/{product_id}"));

    private static final List<String> STEP_COMPONENTS = List.of("identity", "consent", "crossing", "once");

    private final String vendor;

    /** @param vendor the folder under routes/ whose route files are loaded */
    RouteRulesTestSupport(String vendor) {
        this.vendor = vendor;
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties settings = new Properties();
        settings.putAll(SETTINGS);
        return settings;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.addComponent("deliver", new RecordingStep("mock:deliver"));
        for (String step : STEP_COMPONENTS) {
            context.addComponent(step, new RecordingStep("mock:steps"));
        }
        return context;
    }

    /**
     * Loads the vendor's route files. Routes that do not start from events (the Emarsys backfill's schedule) hold
     * no rule about an event and are left out.
     */
    @Override
    protected RoutesBuilder[] createRouteBuilders() throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(routeFiles());
        for (RouteDefinition route : List.copyOf(context.getRouteDefinitions())) {
            if (route.getInput().getEndpointUri().startsWith("events:")) {
                replaceRouteFromWith(route.getRouteId(), "direct:" + fileName(route));
            } else {
                context.removeRouteDefinition(route);
            }
        }
        return new RoutesBuilder[0];
    }

    private List<Resource> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes", vendor))) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted()
                    .map(file -> ResourceHelper.resolveResource(context, "file:" + file)).toList();
        }
    }

    private static String fileName(RouteDefinition route) {
        String location = route.getResource().getLocation();
        return location.substring(location.lastIndexOf('/') + 1);
    }

    /** The vendor calls the route files made, in order, each with its header {@link RecordingStep#CALL}. */
    MockEndpoint deliveries() {
        return getMockEndpoint("mock:deliver");
    }

    /** The other steps the route files called (identity, consent, crossing, once), in order. */
    MockEndpoint steps() {
        return getMockEndpoint("mock:steps");
    }

    /** Expects exactly these deliver calls, in this order; none when called without any. */
    void expectDeliveries(String... calls) {
        expectCalls(deliveries(), calls);
    }

    /** Expects exactly these identity, consent, crossing and once calls, in this order. */
    void expectSteps(String... calls) {
        expectCalls(steps(), calls);
    }

    private static void expectCalls(MockEndpoint recorder, String... calls) {
        recorder.expectedMessageCount(calls.length);
        // The sends are synchronous: a call missing when the send returns never comes, so no waiting (default 10 s).
        recorder.setResultWaitTime(1);
        for (int index = 0; index < calls.length; index++) {
            recorder.message(index).header(RecordingStep.CALL).isEqualTo(calls[index]);
        }
    }

    /** The step component (consent, crossing, once) says no from now on: it stops the route, as for an opted-out person. */
    void closeStep(String component) {
        context.getComponent(component, RecordingStep.class).sayNo();
    }

    /**
     * Runs one route file of the vendor on the event, with the headers the delivery sets on every event exchange
     * ({@code eventType}, and {@code eventName} for a track).
     *
     * @param routeFile the file's name in routes/&lt;vendor&gt;/, e.g. {@code opt-out.yaml}
     */
    void runRouteFile(String routeFile, String eventJson) throws IOException {
        JsonNode event = JSON.readTree(eventJson);
        Map<String, Object> headers = new HashMap<>();
        headers.put(EventQueue.TYPE_PROPERTY, event.path("type").asText(""));
        headers.put(EventRoutes.EVENT_NAME_HEADER, event.hasNonNull("event") ? event.get("event").asText() : null);
        // The delivery asks each route's gate before it makes an exchange: a gate that refuses this event must belong
        // to a route that would do nothing with it.
        Endpoint entrance = context.getEndpoint("direct:" + routeFile);
        List<RouteGate> gates = context.getRoutes().stream().filter(route -> route.getEndpoint() == entrance).map(RouteGate::of).toList();
        boolean refused = gates.stream().noneMatch(gate -> gate.admits((String) headers.get(EventQueue.TYPE_PROPERTY),
                (String) headers.get(EventRoutes.EVENT_NAME_HEADER), eventJson));
        long callsBefore = deliveries().getReceivedCounter() + steps().getReceivedCounter();
        template.sendBodyAndHeaders(entrance, eventJson, headers);
        if (refused) {
            assertThat(deliveries().getReceivedCounter() + steps().getReceivedCounter())
                    .as("%s acted on an event its gate refused: %s", routeFile, eventJson).isEqualTo(callsBefore);
        }
    }

    // Segment events, with only the fields the route files' rules read.

    static String identify(String traits) {
        return """
                {"type": "identify", "userId": "u-1", "traits": %s}""".formatted(traits);
    }

    static String track(String event, String properties) {
        return """
                {"type": "track", "userId": "u-1", "event": "%s", "properties": %s}""".formatted(event, properties);
    }

    static String track(String event) {
        return track(event, "{}");
    }

    static String page() {
        return """
                {"type": "page", "userId": "u-1", "name": "Home"}""";
    }

    static String delete() {
        return """
                {"type": "delete", "userId": "u-1"}""";
    }

    /** An event the intake marked as the one that changed the person's email consent to the state. */
    static String consentChanged(String type, String state) {
        return """
                {"type": "%s", "userId": "u-1", "event": %s,
                 "context": {"bridge": {"consent": {"changed": true, "state": "%s"}}}}"""
                .formatted(type, type.equals("track") ? "\"Unsubscribed\"" : "null", state);
    }

    /** An event that carries a consent state without having changed it (a repeat or an echo). */
    static String consentUnchanged(String state) {
        return """
                {"type": "identify", "userId": "u-1",
                 "context": {"bridge": {"consent": {"changed": false, "state": "%s"}}}}""".formatted(state);
    }

    /** An Engage audience as an identify: the trait named after the audience says whether the person is in it. */
    static String audienceIdentify(String audience, boolean member) {
        return """
                {"type": "identify", "userId": "u-1", "traits": {"%1$s": %2$s},
                 "context": {"personas": {"computation_class": "audience", "computation_key": "%1$s"}}}"""
                .formatted(audience, member);
    }

    /** An Engage audience as a track (Audience Entered / Audience Exited). */
    static String audienceTrack(String event, String audience) {
        return """
                {"type": "track", "userId": "u-1", "event": "%1$s", "properties": {"audience_key": "%2$s"},
                 "context": {"personas": {"computation_class": "audience", "computation_key": "%2$s"}}}"""
                .formatted(event, audience);
    }

    /** An Engage computed trait, sent as an identify. */
    static String computedTrait(String trait, String value) {
        return """
                {"type": "identify", "userId": "u-1", "traits": {"%1$s": %2$s},
                 "context": {"personas": {"computation_class": "trait", "computation_key": "%1$s"}}}"""
                .formatted(trait, value);
    }
}
