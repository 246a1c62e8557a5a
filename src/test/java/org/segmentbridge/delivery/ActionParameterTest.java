package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** An action's parameter declarations, and how {@code deliver:} checks a route's parameters against them. */
class ActionParameterTest {

    private static final ActionParameter EVENT = ActionParameter.text("event", "the event to trigger").asRequired();
    private static final ActionParameter TYPES = ActionParameter.ids("messageTypes", "message type ids");
    private static final ActionParameter SECTIONS = ActionParameter.names("sections", "fields beside global");
    private static final ActionParameter LIMIT = ActionParameter.integer("limit", "at most this many").defaultsTo("10");
    private static final ActionParameter PII = ActionParameter.bool("allowPii", "keep personal data").defaultsTo("false");
    private static final ActionParameter VALUE = ActionParameter.oneOf("value", List.of("none", "all"), "the opt-out");
    private static final ActionParameter TOKEN = ActionParameter.integer("token", "a numeric secret").asSecret();

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "messageTypes | 101          | ",
            "messageTypes | ' 101, 102 ,'| ",
            "messageTypes | 101,abc      | messageTypes must be a list of ids: whole numbers separated by commas, got '101,abc'",
            "sections     | products,x   | ",
            "limit        | -3           | ",
            "limit        | 3.5          | limit must be a whole number, got '3.5'",
            "allowPii     | true         | ",
            "allowPii     | yes          | allowPii must be true or false, got 'yes'",
            "value        | all          | ",
            "value        | ALL          | value must be one of none, all, got 'ALL'",
            "token        | x1           | token must be a whole number",
            "event        | anything     | "})
    void aValueFitsItsTypeOrIsNamedWithWhatItMustBe(String name, String value, String problem) {
        ActionParameter parameter = List.of(EVENT, TYPES, SECTIONS, LIMIT, PII, VALUE, TOKEN).stream()
                .filter(declared -> declared.name().equals(name)).findFirst().orElseThrow();

        assertThat(parameter.problemWith(value)).isEqualTo(java.util.Optional.ofNullable(problem));
    }

    @Test
    void aBlankValueFitsEveryType() {
        for (ActionParameter parameter : List.of(EVENT, TYPES, LIMIT, PII, VALUE)) {
            assertThat(parameter.problemWith(" ")).as(parameter.name()).isEmpty();
            assertThat(parameter.problemWith(null)).as(parameter.name()).isEmpty();
        }
    }

    @Test
    void aSecretsValueIsNeverRepeated() {
        assertThat(TOKEN.problemWith("hunter2").orElseThrow()).doesNotContain("hunter2");
        assertThat(TOKEN.secret()).isTrue();
    }

    @Test
    void declarationsThatCannotBeRightAreRefused() {
        assertThatThrownBy(() -> ActionParameter.text("mapping", "doc")).hasMessageContaining("other than mapping");
        assertThatThrownBy(() -> ActionParameter.text("two words", "doc")).hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> ActionParameter.text("event", " ")).hasMessageContaining("one-line doc");
        assertThatThrownBy(() -> ActionParameter.oneOf("value", List.of(), "doc")).hasMessageContaining("allowed values");
        assertThatThrownBy(() -> ActionParameter.bool("allowPii", "doc").defaultsTo("yes"))
                .hasMessage("parameter allowPii's default: allowPii must be true or false, got 'yes'");
        assertThatThrownBy(() -> EVENT.defaultsTo("x")).hasMessage("parameter event is required, so it has no default");
    }

    @Test
    void usageShowsHowARouteWritesTheParameter() {
        assertThat(EVENT.usage()).isEqualTo("event=<text>");
        assertThat(TYPES.usage()).isEqualTo("messageTypes=<list of ids>");
        assertThat(VALUE.usage()).isEqualTo("value=none|all");
    }

    @Test
    void anActionReadsTheDefaultOfAParameterTheRouteLeavesOut() {
        Action.Input without = new Action.Input(null, null, Map.of(), null, null);
        Action.Input with = new Action.Input(null, null, Map.of("limit", "3", "event", ""), null, null);

        assertThat(without.parameter(LIMIT)).isEqualTo("10");
        assertThat(without.parameter(EVENT)).isEmpty();
        assertThat(with.parameter(LIMIT)).isEqualTo("3");
        assertThat(with.parameter(EVENT)).as("given blank: blank").isEmpty();
    }

    @Test
    void theCheckRefusesUnknownParametersFirstNamingThemAndWhatTheActionTakes() {
        assertThatThrownBy(() -> ActionParameters.check(action(EVENT, TYPES), Map.of("evnt", "x", "colour", "red", "event", "")))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("test has no parameter 'colour', 'evnt'; it takes event, messageTypes (and mapping)");
        assertThatThrownBy(() -> ActionParameters.check(action(), Map.of("list", "x")))
                .hasMessage("test has no parameter 'list'; it takes only mapping");
    }

    @Test
    void theCheckRefusesAnIllTypedValueBeforeAMissingOne() {
        assertThatThrownBy(() -> ActionParameters.check(action(EVENT, TYPES), Map.of("messageTypes", "abc")))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessage("test: messageTypes must be a list of ids: whole numbers separated by commas, got 'abc'");
    }

    @Test
    void aRequiredParameterLeftOutOrBlankIsAMissingParameter() {
        for (Map<String, String> given : List.of(Map.<String, String>of(), Map.of("event", " "))) {
            assertThatThrownBy(() -> ActionParameters.check(action(EVENT, TYPES), given))
                    .isExactlyInstanceOf(MissingParameter.class)
                    .hasMessage("test needs event=<text> (the event to trigger)");
        }
    }

    @Test
    void theActionsOwnRuleRunsAfterTheDeclarations() {
        Action picky = new TestAction(List.of(TYPES)) {
            @Override
            public void validate(Map<String, String> parameters) {
                throw new MissingParameter("test needs messageTypes, and it is empty");
            }
        };

        assertThatThrownBy(() -> ActionParameters.check(picky, Map.of("messageTypes", "x")))
                .isExactlyInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ActionParameters.check(picky, Map.of("messageTypes", "")))
                .isExactlyInstanceOf(MissingParameter.class).hasMessage("test needs messageTypes, and it is empty");
    }

    @Test
    void validParametersPass() {
        assertThatCode(() -> ActionParameters.check(action(EVENT, TYPES, PII), Map.of("event", "signup", "messageTypes", "")))
                .doesNotThrowAnyException();
    }

    @Test
    void anActionThatDeclaresAParameterTwiceIsABug() {
        assertThatThrownBy(() -> ActionParameters.check(action(EVENT, EVENT), Map.of("event", "x")))
                .isInstanceOf(IllegalStateException.class).hasMessage("test declares parameter event twice");
    }

    private static Action action(ActionParameter... parameters) {
        return new TestAction(List.of(parameters));
    }

    private static class TestAction implements Action {
        private final List<ActionParameter> parameters;

        TestAction(List<ActionParameter> parameters) {
            this.parameters = parameters;
        }

        @Override
        public String name() {
            return "test";
        }

        @Override
        public String description() {
            return "tests";
        }

        @Override
        public List<ActionParameter> parameters() {
            return parameters;
        }

        @Override
        public BatchLimits limits() {
            return BatchLimits.single(1024);
        }

        @Override
        public List<Item> prepare(Input input) {
            return List.of();
        }

        @Override
        public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Verdict> read(VendorAnswer answer, List<Item> items) {
            throw new UnsupportedOperationException();
        }
    }
}
