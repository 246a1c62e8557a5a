package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which routes a gate passes over, and what it admits. Routes are loaded from YAML as the bridge loads route files,
 * with {@code direct:} in place of {@code events:}. That the gates of the shipped routes agree with the routes on every
 * event of their rule tests is checked by {@code RouteRulesTestSupport}, which asks the gate before each run.
 */
class RouteGateTest {

    private final CamelContext context = new DefaultCamelContext();
    private int routes;

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void aFilterOnTheEventTypeAndNameIsDecidedWithoutTheEvent() throws Exception {
        RouteGate gate = gateOf("""
                - filter:
                    simple: "${header.eventType} == 'track' && ${header.eventName} !in 'Order Completed,{{ignored}}'"
                    steps:
                      - to: log:sent
                """, Map.of("ignored", "Spam"));

        assertThat(gate.isOpen()).isFalse();
        assertThat(gate.readsOnlyTypeAndName()).isTrue();
        assertThat(gate.admits("track", "Product Viewed", null)).isTrue();
        assertThat(gate.admits("track", "Order Completed", null)).isFalse();
        assertThat(gate.admits("track", "Spam", null)).as("the placeholder was resolved").isFalse();
        assertThat(gate.admits("identify", null, null)).isFalse();
    }

    @Test
    void aChoiceWithoutOtherwiseAdmitsWhatAnyOfItsBranchesTakes() throws Exception {
        RouteGate gate = gateOf("""
                - choice:
                    when:
                      - simple: "${header.eventName} == 'Order Completed'"
                        steps:
                          - to: log:purchase
                      - simple: "${header.eventName} in 'Cart Updated,Product Added'"
                        steps:
                          - to: log:cart
                """, Map.of());

        assertThat(gate.isOpen()).isFalse();
        assertThat(gate.admits("track", "Order Completed", null)).isTrue();
        assertThat(gate.admits("track", "Product Added", null)).isTrue();
        assertThat(gate.admits("track", "Product Viewed", null)).isFalse();
    }

    @Test
    void routesWithStepsBesideTheSelectionOrAnotherLanguageAreAlwaysEntered() throws Exception {
        String stepAfterTheFilter = """
                - filter:
                    simple: "${header.eventType} == 'track'"
                    steps:
                      - to: log:a
                - to: log:always
                """;
        String choiceWithOtherwise = """
                - choice:
                    when:
                      - simple: "${header.eventType} == 'track'"
                        steps:
                          - to: log:a
                    otherwise:
                      steps:
                        - to: log:b
                """;
        String otherLanguage = """
                - filter:
                    constant: "true"
                    steps:
                      - to: log:a
                """;
        for (String steps : new String[] {stepAfterTheFilter, choiceWithOtherwise, otherLanguage}) {
            RouteGate gate = gateOf(steps, Map.of());
            assertThat(gate.isOpen()).as(steps).isTrue();
            assertThat(gate.admits("anything", "at all", null)).isTrue();
        }
    }

    @Test
    void conditionsThatReadMoreThanTheTypeAndNameAreAskedForEachEvent() throws Exception {
        String[] conditions = {
                "jsonpath: \"$[?(@.context.personas.computation_class == 'audience')]\"",
                "simple: \"${header.eventType} == 'track' && ${bodyAs(String)} contains 'audience'\"",
                "simple: \"${header.eventType} == '${date:now:yyyy}' || ${bodyAs(String)} contains 'audience'\""};
        JsonNode audience = new ObjectMapper().readTree("""
                {"type": "track", "context": {"personas": {"computation_class": "audience"}}}""");
        JsonNode other = new ObjectMapper().readTree("""
                {"type": "track", "context": {"personas": {"computation_class": "trait"}}}""");
        for (String condition : conditions) {
            RouteGate gate = gateOf("""
                    - filter:
                        %s
                        steps:
                          - to: log:a
                    """.formatted(condition), Map.of());

            assertThat(gate.isOpen()).as(condition).isFalse();
            assertThat(gate.readsOnlyTypeAndName()).as(condition).isFalse();
            assertThat(gate.admits("track", "Audience Entered", audience)).as(condition).isTrue();
            assertThat(gate.admits("track", "Audience Entered", other)).as(condition).isFalse();
        }
    }

    @Test
    void withTheRoutesJsonpathPlainConditionsAndOthersAreAskedTogether() throws Exception {
        context.getRegistry().bind(ParsedEventJsonPath.NAME, new ParsedEventJsonPath());
        RouteGate gate = gateOf("""
                - choice:
                    when:
                      - jsonpath: "$[?(@.type == 'identify' && @.traits.vip == true)]"
                        steps:
                          - to: log:vip
                      - jsonpath: "$[?(@.event =~ /Order.*/)]"
                        steps:
                          - to: log:order
                """, Map.of());
        ObjectMapper json = new ObjectMapper();

        assertThat(gate.isOpen()).isFalse();
        assertThat(gate.admits("identify", null, json.readTree("{\"type\": \"identify\", \"traits\": {\"vip\": true}}"))).isTrue();
        assertThat(gate.admits("identify", null, json.readTree("{\"type\": \"identify\", \"traits\": {\"vip\": false}}"))).isFalse();
        assertThat(gate.admits("track", "Order Completed", json.readTree("{\"type\": \"track\", \"event\": \"Order Completed\"}"))).isTrue();
        assertThat(gate.admits("track", "Product Viewed", json.readTree("{\"type\": \"track\", \"event\": \"Product Viewed\"}"))).isFalse();
    }

    /** The gate of a route (loaded and started) with these steps. */
    private RouteGate gateOf(String steps, Map<String, String> properties) throws Exception {
        String id = "r" + routes++;
        String yaml = "- route:\n    id: " + id + "\n    from:\n      uri: direct:" + id + "\n      steps:\n" + steps.indent(8);
        Properties initial = new Properties();
        initial.putAll(properties);
        context.getPropertiesComponent().setInitialProperties(initial);
        java.util.List<RouteGate> gates = gatesOf(yaml);
        assertThat(gates).hasSize(1);
        return gates.get(0);
    }

    private java.util.List<RouteGate> gatesOf(String yaml) throws Exception {
        java.util.Set<String> before = new java.util.HashSet<>();
        context.getRoutes().forEach(route -> before.add(route.getRouteId()));
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("test.yaml", yaml));
        context.start();
        return context.getRoutes().stream().filter(route -> !before.contains(route.getRouteId())).map(RouteGate::of).toList();
    }
}
