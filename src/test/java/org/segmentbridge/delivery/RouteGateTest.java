package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which routes a gate passes over, and what it admits. Routes are loaded from YAML as the bridge loads route files,
 * with {@code direct:} in place of {@code events:}, into a context that is not started (the shipped routes' own
 * components are not needed to read their definitions).
 */
class RouteGateTest {

    private final CamelContext context = new DefaultCamelContext();

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void aFilterOnTheEventTypeAndNameIsDecidedWithoutTheEvent() throws Exception {
        RouteGate gate = gateOf("""
                - route:
                    id: r
                    from:
                      uri: direct:r
                      steps:
                        - filter:
                            simple: "${header.eventType} == 'track' && ${header.eventName} !in 'Order Completed,{{ignored}}'"
                            steps:
                              - to: log:sent
                """, Map.of("ignored", "Spam"));

        assertThat(gate.isOpen()).isFalse();
        assertThat(gate.admits("track", "Product Viewed")).isTrue();
        assertThat(gate.admits("track", "Order Completed")).isFalse();
        assertThat(gate.admits("track", "Spam")).as("the placeholder was resolved").isFalse();
        assertThat(gate.admits("identify", null)).isFalse();
    }

    @Test
    void aChoiceWithoutOtherwiseAdmitsWhatAnyOfItsBranchesTakes() throws Exception {
        RouteGate gate = gateOf("""
                - route:
                    id: r
                    from:
                      uri: direct:r
                      steps:
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
        assertThat(gate.admits("track", "Order Completed")).isTrue();
        assertThat(gate.admits("track", "Product Added")).isTrue();
        assertThat(gate.admits("track", "Product Viewed")).isFalse();
    }

    @Test
    void routesThatMayActOnMoreThanTheTypeAndNameAreAlwaysEntered() throws Exception {
        String jsonPathFilter = """
                - filter:
                    jsonpath: "$[?(@.type == 'identify')]"
                    steps:
                      - to: log:a
                """;
        String bodyInCondition = """
                - filter:
                    simple: "${header.eventType} == 'track' && ${body} != null"
                    steps:
                      - to: log:a
                """;
        String otherHeader = """
                - filter:
                    simple: "${header.eventMessageId} == 'm-1'"
                    steps:
                      - to: log:a
                """;
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
        String nestedFunction = """
                - filter:
                    simple: "${header.eventType} == '${date:now:yyyy}'"
                    steps:
                      - to: log:a
                """;
        for (String steps : new String[] {jsonPathFilter, bodyInCondition, otherHeader, stepAfterTheFilter, choiceWithOtherwise, nestedFunction}) {
            String route = "- route:\n    id: r" + System.nanoTime() + "\n    from:\n      uri: direct:r" + System.nanoTime()
                    + "\n      steps:\n" + steps.indent(8);
            RouteGate gate = gateOf(route, Map.of());
            assertThat(gate.isOpen()).as(steps).isTrue();
            assertThat(gate.admits("anything", "at all")).isTrue();
        }
    }

    /** The shipped routes: those whose one filter or choice reads only the type and name are gated, the rest not. */
    @Test
    void theShippedRoutesThatReadOnlyTypeAndNameAreGated() throws Exception {
        Properties settings = new Properties();
        settings.load(Files.newBufferedReader(Path.of("application.properties")));
        context.getPropertiesComponent().setInitialProperties(settings);
        int gated = 0;
        int open = 0;
        try (Stream<Path> files = Files.walk(Path.of("routes"))) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml")).sorted().toList()) {
                String yaml = Files.readString(file).replaceAll("uri: events:(\\w+)", "uri: direct:$1-" + file.getFileName());
                if (!yaml.contains("uri: direct:")) {
                    continue; // scheduled routes: not handed events
                }
                for (RouteGate gate : gatesOf(yaml)) {
                    if (gate.isOpen()) {
                        open++;
                        continue;
                    }
                    gated++;
                    String[][] events = {{"identify", null}, {"track", "Order Completed"}, {"track", "Product Viewed"},
                            {"track", "Unsubscribed"}, {"delete", null}, {"page", null}};
                    long admitted = Stream.of(events).filter(event -> gate.admits(event[0], event[1])).count();
                    assertThat(admitted).as(file + " admits some of the common events and refuses others").isBetween(1L, (long) events.length - 1);
                }
            }
        }
        assertThat(gated).as("routes gated").isGreaterThanOrEqualTo(10);
        assertThat(open).as("routes entered for every event (jsonpath filters, choices on the body)").isGreaterThanOrEqualTo(5);
    }

    private RouteGate gateOf(String yaml, Map<String, String> properties) throws Exception {
        Properties initial = new Properties();
        initial.putAll(properties);
        context.getPropertiesComponent().setInitialProperties(initial);
        java.util.List<RouteGate> gates = gatesOf(yaml);
        assertThat(gates).hasSize(1);
        return gates.get(0);
    }

    private java.util.List<RouteGate> gatesOf(String yaml) throws Exception {
        ModelCamelContext model = (ModelCamelContext) context;
        java.util.Set<RouteDefinition> before = new java.util.HashSet<>(model.getRouteDefinitions());
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("test.yaml", yaml));
        return model.getRouteDefinitions().stream().filter(route -> !before.contains(route))
                .map(route -> RouteGate.of(context, route)).toList();
    }
}
