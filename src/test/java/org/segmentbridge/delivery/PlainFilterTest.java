package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.ExpressionEvaluationException;
import org.apache.camel.Predicate;
import org.apache.camel.spi.Language;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A plain filter's answer, where it gives one, is always Camel's own jsonpath engine's on the event as a string, and
 * the routes' jsonpath language (which uses it) judges every filter and event as that engine does.
 */
class PlainFilterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ROUTE_JSONPATH = Pattern.compile("jsonpath: \"([^\"]+)\"");

    private static final List<String> MORE_FILTERS = List.of(
            "$[?(@.type == 'identify')]",
            "$[?(@.type == 'track' && @.event == 'Order Completed')]",
            "$[?(@.properties.value >= 50)]",
            "$[?(@.properties.value < 50.5)]",
            "$[?(@.properties.value == 70)]",
            "$[?(@.properties.value == 50)]",
            "$[?(@.properties.value > -50.0)]",
            "$[?(@.properties.value <= -50)]",
            "$[?(@.properties.code > 12345678901234567889)]",
            "$[?(@.properties.code < 0.000001)]",
            "$[?(@.properties.code == '70')]",
            "$[?(@.context.bridge.consent.changed == false)]",
            "$[?(@.traits.vip)]",
            "$[?(@.traits.tags)]",
            "$[?(@.traits.plan)]",
            "$[?(@.traits.plan == '')]",
            "$[?(@.traits.nothing)]",
            "$[?(@.traits.nothing == 'x')]",
            "$[?(@.type=='identify'&&@.traits.vip==true)]");

    private static final List<String> NOT_PLAIN = List.of(
            "$[?(@.type != 'identify')]",
            "$[?(@.type == 'identify' || @.traits.vip)]",
            "$[?(!@.traits.vip)]",
            "$[?(@.event == 'a && b')]",
            "$[?(@.event == 'it\\'s')]",
            "$[?(@.event == \"Signed Up\")]",
            "$[?(@['type'] == 'identify')]",
            "$[?(@.traits.tags[0] == 'a')]",
            "$[?(@.traits.tags.length() > 1)]",
            "$[?(@.event in ['a', 'b'])]",
            "$[?(@.event =~ /Order.*/)]",
            "$[?((@.type == 'identify'))]",
            "$.traits.vip",
            "$..city");

    private static final List<String> EVENTS = List.of(
            """
            {"type": "identify", "userId": "u-1", "traits": {"plan": "gold", "vip": true, "tags": ["a", "b"], "nothing": null},
             "context": {"personas": {"computation_class": "audience"}, "bridge": {"previousKey": "old@example.com",
             "consent": {"changed": true, "state": "unsubscribed"}}}}""",
            """
            {"type": "identify", "userId": "u-2", "traits": {"vip": "true"},
             "context": {"personas": {"computation_class": "trait"}, "bridge": {"previousKey": null,
             "consent": {"changed": "true", "state": "subscribed"}}}}""",
            """
            {"type": "track", "event": "Checkout Started", "properties": {"value": 70}, "context": {"integration": {"name": "x"}}}""",
            """
            {"type": "track", "event": "Checkout Started", "properties": {"value": "70", "code": 70}}""",
            """
            {"type": "track", "event": "Order Completed", "properties": {"value": 49.5, "code": "70"},
             "context": {"bridge": {"consent": {"changed": false, "state": "subscribed"}}}}""",
            """
            {"type": "track", "event": "Product Viewed", "properties": {"price": 120}, "context": null}""",
            """
            {"type": "track", "event": null, "properties": [], "context": {"personas": [], "bridge": "none"}}""",
            """
            {"type": 5, "event": 7, "context": {"personas": {"computation_class": 1}, "integration": {"name": null}}}""",
            """
            {"type": "page"}""",
            """
            {"type": "identify", "traits": {"vip": false, "tags": [], "nothing": {}, "plan": ""}, "context": {"integration": {"name": ""}}}""",
            """
            {"type": "track", "event": "Product Viewed", "properties": {"price": 1e2, "value": 50.0, "code": 12345678901234567890}}""",
            """
            {"type": "track", "event": "Product Viewed", "properties": {"price": 99.99999999999999999, "value": -50, "code": 1.0E-7}}""",
            """
            [{"type": "identify"}, {"type": "track"}]""");

    private static final JsonPathEngines ENGINES = new JsonPathEngines();

    @AfterAll
    static void stop() {
        ENGINES.close();
    }

    @Test
    void everyShippedRouteFilterIsPlain() {
        List<String> shipped = shippedRouteFilters();
        assertThat(shipped).hasSizeGreaterThanOrEqualTo(10);
        for (String filter : shipped) {
            assertThat(PlainFilter.of(filter)).as(filter).isPresent();
        }
    }

    @Test
    void filtersThatAreNotPlainAreLeftToJayway() {
        for (String filter : NOT_PLAIN) {
            assertThat(PlainFilter.of(filter)).as(filter).isEmpty();
        }
    }

    @Test
    void aPlainAnswerIsAlwaysCamelsEnginesAnswer() throws Exception {
        int refused = 0;
        int admitted = 0;
        for (String filter : allFilters()) {
            PlainFilter plain = PlainFilter.of(filter).orElse(null);
            for (String event : EVENTS) {
                Optional<Boolean> answer = plain == null ? Optional.empty() : plain.answer(JSON.readTree(event));
                if (answer.isPresent()) {
                    boolean camels = ENGINES.camels.createPredicate(filter).matches(ENGINES.exchange(event));
                    assertThat(answer.get()).as(filter + " on " + event).isEqualTo(camels);
                    refused += answer.get() ? 0 : 1;
                    admitted += answer.get() ? 1 : 0;
                }
            }
        }
        assertThat(refused).as("events refused without Jayway").isGreaterThan(150);
        assertThat(admitted).as("events admitted without Jayway").isGreaterThan(20);
    }

    @Test
    void answersWhatIsPlainAndLeavesTheRestToJayway() throws Exception {
        JsonNode identify = JSON.readTree(EVENTS.get(0));
        JsonNode identifyWithStrings = JSON.readTree(EVENTS.get(1));
        JsonNode track = JSON.readTree(EVENTS.get(2));
        JsonNode trackWithStrings = JSON.readTree(EVENTS.get(3));
        assertThat(answer("$[?(@.type == 'identify')]", track)).contains(false);
        assertThat(answer("$[?(@.type == 'identify')]", identify)).contains(true);
        assertThat(answer("$[?(@.context.personas.computation_class == 'audience')]", track)).contains(false);
        assertThat(answer("$[?(@.context.personas.computation_class == 'audience')]", identify)).contains(true);
        assertThat(answer("$[?(@.properties.value >= 50)]", track)).contains(true);
        assertThat(answer("$[?(@.properties.value < 50.5)]", track)).contains(false);
        assertThat(answer("$[?(@.properties.value >= 50)]", identify)).contains(false);
        assertThat(answer("$[?(@.context.bridge.consent.changed == true)]", JSON.readTree(EVENTS.get(4)))).contains(false);
        assertThat(answer("$[?(@.context.bridge.previousKey)]", identify)).contains(true);
        // Jayway's to judge: a string against a number, a string "true" against the boolean, a null asked to exist.
        assertThat(answer("$[?(@.properties.value >= 50)]", trackWithStrings)).isEmpty();
        assertThat(answer("$[?(@.properties.code == '70')]", trackWithStrings)).isEmpty();
        assertThat(answer("$[?(@.context.bridge.consent.changed == true)]", identifyWithStrings)).isEmpty();
        assertThat(answer("$[?(@.context.bridge.previousKey)]", identifyWithStrings)).isEmpty();
        // A plain failure decides even beside a condition only Jayway can judge.
        assertThat(answer("$[?(@.properties.value >= 50 && @.type == 'identify')]", trackWithStrings)).contains(false);
        // A filter on an array asks its elements, which only Jayway does.
        assertThat(answer("$[?(@.type == 'page')]", JSON.readTree(EVENTS.get(EVENTS.size() - 1)))).isEmpty();
    }

    @Test
    void theRoutesLanguageAnswersPlainFiltersWithoutJayway() throws Exception {
        JsonNode track = JSON.readTree(EVENTS.get(2));
        for (String filter : shippedRouteFilters()) {
            Predicate predicate = ENGINES.routes.createPredicate(filter);
            assertThat(predicate).as(filter).isInstanceOf(ParsedEventJsonPath.OnParsedBody.class);
            assertThat(((ParsedEventJsonPath.OnParsedBody) predicate).plainAnswer(track)).as(filter)
                    .isEqualTo(PlainFilter.of(filter).orElseThrow().answer(track));
        }
        assertThat(((ParsedEventJsonPath.OnParsedBody) ENGINES.routes.createPredicate("$[?(@.type == 'identify')]")).plainAnswer(track))
                .contains(false);
    }

    @Test
    void theRoutesLanguageJudgesEveryFilterAsCamelsEngine() throws Exception {
        for (String filter : allFilters()) {
            for (String event : EVENTS) {
                String fromString = judged(ENGINES.camels, filter, event);
                String fromTree = judged(ENGINES.routes, filter, JSON.readTree(event));
                assertThat(fromTree).as(filter + " on " + event).isEqualTo(fromString);
            }
        }
    }

    /** What the language answers, or that it failed (a path that is not a filter may find nothing). */
    private static String judged(Language language, String filter, Object body) {
        try {
            return String.valueOf(language.createPredicate(filter).matches(ENGINES.exchange(body)));
        } catch (ExpressionEvaluationException e) {
            return "fails";
        }
    }

    private static Optional<Boolean> answer(String filter, JsonNode event) {
        return PlainFilter.of(filter).orElseThrow().answer(event);
    }

    private static List<String> allFilters() {
        List<String> all = new ArrayList<>(shippedRouteFilters());
        all.addAll(MORE_FILTERS);
        all.addAll(NOT_PLAIN);
        return all;
    }

    private static List<String> shippedRouteFilters() {
        try (Stream<Path> files = Files.walk(Path.of("routes"))) {
            List<String> filters = new ArrayList<>();
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml")).toList()) {
                Matcher jsonpath = ROUTE_JSONPATH.matcher(Files.readString(file));
                while (jsonpath.find()) {
                    filters.add(jsonpath.group(1));
                }
            }
            return filters;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
