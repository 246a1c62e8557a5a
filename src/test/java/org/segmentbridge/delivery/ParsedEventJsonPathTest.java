package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExpressionEvaluationException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.jsonpath.JsonPathLanguage;
import org.apache.camel.spi.Language;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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

    private static CamelContext context;
    private static Language parsed;
    private static Language camels;

    @BeforeAll
    static void start() {
        context = new DefaultCamelContext();
        context.getRegistry().bind(ParsedEventJsonPath.NAME, new ParsedEventJsonPath());
        context.start();
        parsed = context.resolveLanguage("jsonpath");
        camels = new JsonPathLanguage();
        ((JsonPathLanguage) camels).setCamelContext(context);
    }

    @AfterAll
    static void stop() {
        context.stop();
    }

    @Test
    void routesGetTheParsedEventsReader() {
        assertThat(parsed).isInstanceOf(ParsedEventJsonPath.class);
    }

    @Test
    void expressionsGiveWhatCamelsEngineGivesForTheString() throws Exception {
        for (String expression : List.of("$.type", "$.traits.age", "$.traits.score", "$.traits.vip", "$.traits.tags",
                "$.traits.tags[1]", "$.traits.address", "$.traits.nothing", "$..city", "$.traits.tags[?(@ == 'b')]",
                "$[?(@.type == 'identify')]")) {
            Object fromString = camels.createExpression(expression).evaluate(exchange(EVENT), Object.class);
            Object fromTree = parsed.createExpression(expression).evaluate(exchange(JSON.readTree(EVENT)), Object.class);
            assertThat(fromTree).as(expression).isEqualTo(fromString);
            if (fromString != null) {
                assertThat(fromTree.getClass()).as(expression).isEqualTo(fromString.getClass());
            }
        }
        assertThat(parsed.createExpression("$.traits.address").evaluate(exchange(JSON.readTree(EVENT)), Object.class))
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
            boolean fromString = camels.createPredicate(predicate.getKey()).matches(exchange(EVENT));
            boolean fromTree = parsed.createPredicate(predicate.getKey()).matches(exchange(JSON.readTree(EVENT)));
            assertThat(fromString).as("Camel's engine on " + predicate.getKey()).isEqualTo(predicate.getValue());
            assertThat(fromTree).as(predicate.getKey()).isEqualTo(predicate.getValue());
        }
    }

    @Test
    void aBodyAStepReplacedWithAStringOrAMapIsReadByCamelsEngine() throws Exception {
        assertThat(parsed.createPredicate("$[?(@.type == 'identify')]").matches(exchange(EVENT))).isTrue();
        assertThat(parsed.createExpression("$.traits.plan").evaluate(exchange(EVENT), String.class)).isEqualTo("gold");
        Object asMap = JSON.readValue(EVENT, Map.class);
        assertThat(parsed.createExpression("$.traits.age").evaluate(exchange(asMap), Object.class)).isEqualTo(42);
    }

    @Test
    void aMissingPathFailsAsWithCamelsEngine() throws Exception {
        assertThatThrownBy(() -> camels.createExpression("$.traits.missing").evaluate(exchange(EVENT), Object.class))
                .isInstanceOf(ExpressionEvaluationException.class);
        assertThatThrownBy(() -> parsed.createExpression("$.traits.missing").evaluate(exchange(JSON.readTree(EVENT)), Object.class))
                .isInstanceOf(ExpressionEvaluationException.class);
    }

    private static Exchange exchange(Object body) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        return exchange;
    }
}
