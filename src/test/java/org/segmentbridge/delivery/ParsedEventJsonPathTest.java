package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.ExpressionEvaluationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A route's {@code jsonpath:} on the parsed event (a JsonNode body) answers exactly what Camel's own engine answers on
 * the same event as a JSON string, which is what routes saw before the event was parsed once.
 */
class ParsedEventJsonPathTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EVENT = """
            {"type": "identify", "userId": "u-1", "traits": {"plan": "gold", "age": 42, "score": 1.5, "vip": true,
             "tags": ["a", "b"], "address": {"city": "Leeds"}, "nothing": null},
             "context": {"bridge": {"consent": {"changed": true, "state": "unsubscribed"}}}}""";

    private static final JsonPathEngines ENGINES = new JsonPathEngines();

    @AfterAll
    static void stop() {
        ENGINES.close();
    }

    @Test
    void routesGetTheParsedEventsReader() {
        assertThat(ENGINES.routes).isInstanceOf(ParsedEventJsonPath.class);
    }

    @Test
    void expressionsGiveWhatCamelsEngineGivesForTheString() throws Exception {
        for (String expression : List.of("$.type", "$.traits.age", "$.traits.score", "$.traits.vip", "$.traits.tags",
                "$.traits.tags[1]", "$.traits.address", "$.traits.nothing", "$..city", "$.traits.tags[?(@ == 'b')]",
                "$[?(@.type == 'identify')]")) {
            Object fromString = ENGINES.camels.createExpression(expression).evaluate(ENGINES.exchange(EVENT), Object.class);
            Object fromTree = ENGINES.routes.createExpression(expression).evaluate(ENGINES.exchange(JSON.readTree(EVENT)), Object.class);
            assertThat(fromTree).as(expression).isEqualTo(fromString);
            if (fromString != null) {
                assertThat(fromTree.getClass()).as(expression).isEqualTo(fromString.getClass());
            }
        }
        assertThat(ENGINES.routes.createExpression("$.traits.address").evaluate(ENGINES.exchange(JSON.readTree(EVENT)), Object.class))
                .isEqualTo(Map.of("city", "Leeds"));
    }

    @Test
    void predicatesJudgeAsCamelsEngineJudgesTheString() throws Exception {
        Map<String, Boolean> expected = Map.of(
                "$[?(@.type == 'identify')]", true,
                "$[?(@.type == 'track')]", false,
                "$[?(@.traits.age >= 40 && @.traits.vip == true)]", true,
                "$[?(@.context.bridge.consent.changed == true && @.context.bridge.consent.state == 'subscribed')]", false,
                "$[?(@.context.bridge.previousKey)]", false,
                "$.traits.tags[?(@ == 'z')]", false,
                "$.traits.vip", true);
        for (Map.Entry<String, Boolean> predicate : expected.entrySet()) {
            boolean fromString = ENGINES.camels.createPredicate(predicate.getKey()).matches(ENGINES.exchange(EVENT));
            boolean fromTree = ENGINES.routes.createPredicate(predicate.getKey()).matches(ENGINES.exchange(JSON.readTree(EVENT)));
            assertThat(fromString).as("Camel's engine on " + predicate.getKey()).isEqualTo(predicate.getValue());
            assertThat(fromTree).as(predicate.getKey()).isEqualTo(predicate.getValue());
        }
    }

    @Test
    void aPredicateOnALeafJudgesItsValueAsCamelsEngineDoes() throws Exception {
        String event = """
                {"traits": {"off": false, "on": true, "none": null, "no": "false", "yes": "true", "empty": "", "zero": 0,
                 "list": [], "map": {}}}""";
        for (String leaf : List.of("off", "on", "none", "no", "yes", "empty", "zero", "list", "map")) {
            String path = "$.traits." + leaf;
            boolean fromString = ENGINES.camels.createPredicate(path).matches(ENGINES.exchange(event));
            boolean fromTree = ENGINES.routes.createPredicate(path).matches(ENGINES.exchange(JSON.readTree(event)));
            assertThat(fromTree).as(path).isEqualTo(fromString);
        }
        assertThat(ENGINES.routes.createPredicate("$.traits.off").matches(ENGINES.exchange(JSON.readTree(event)))).isFalse();
        assertThat(ENGINES.routes.createPredicate("$.traits.no").matches(ENGINES.exchange(JSON.readTree(event)))).isFalse();
        assertThat(ENGINES.routes.createPredicate("$.traits.none").matches(ENGINES.exchange(JSON.readTree(event)))).isFalse();
    }

    @Test
    void aBodyAStepReplacedWithAStringOrAMapIsReadByCamelsEngine() throws Exception {
        assertThat(ENGINES.routes.createPredicate("$[?(@.type == 'identify')]").matches(ENGINES.exchange(EVENT))).isTrue();
        assertThat(ENGINES.routes.createExpression("$.traits.plan").evaluate(ENGINES.exchange(EVENT), String.class)).isEqualTo("gold");
        Object asMap = JSON.readValue(EVENT, Map.class);
        assertThat(ENGINES.routes.createExpression("$.traits.age").evaluate(ENGINES.exchange(asMap), Object.class)).isEqualTo(42);
    }

    @Test
    void aMissingPathFailsAsWithCamelsEngine() throws Exception {
        assertThatThrownBy(() -> ENGINES.camels.createExpression("$.traits.missing").evaluate(ENGINES.exchange(EVENT), Object.class))
                .isInstanceOf(ExpressionEvaluationException.class);
        assertThatThrownBy(() -> ENGINES.routes.createExpression("$.traits.missing").evaluate(ENGINES.exchange(JSON.readTree(EVENT)), Object.class))
                .isInstanceOf(ExpressionEvaluationException.class);
    }
}
