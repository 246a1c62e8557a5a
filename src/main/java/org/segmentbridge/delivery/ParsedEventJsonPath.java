package org.segmentbridge.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.ExpressionEvaluationException;
import org.apache.camel.jsonpath.JsonPathExpression;
import org.apache.camel.jsonpath.JsonPathLanguage;
import org.apache.camel.jsonpath.easypredicate.EasyPredicateParser;
import org.apache.camel.support.ExpressionAdapter;
import org.apache.camel.support.builder.ExpressionBuilder;
import org.apache.camel.util.ObjectHelper;

/**
 * Camel's {@code jsonpath} language, reading the parsed event in place. A route's body is the event its destination's
 * reader parsed once (a Jackson {@link JsonNode}); Camel's own engine would serialise such a body and parse it again
 * for every {@code jsonpath:} it meets, once per filter and per route, which was a fifth of delivery's CPU. Here
 * Jayway reads the tree through its Jackson-node provider instead, and the result is handed back in the form Camel's
 * engine gives (maps, lists, strings, numbers, booleans), so expressions and predicates behave as before. A filter of
 * plain conditions is answered from the tree without Jayway where the answer is plain ({@link PlainFilter}).
 *
 * <p>Everything else goes to Camel's engine unchanged: an input of another type (a route's {@code setBody} made the
 * body a string, a map ...), and the options this reader does not implement ({@code writeAsString}, {@code ${...}}
 * placeholders with {@code allowSimple}).
 *
 * <p>Bound in the registry as {@value #NAME}, which Camel consults before its own languages.
 */
public final class ParsedEventJsonPath extends JsonPathLanguage {

    public static final String NAME = "jsonpath";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** An expression of the message body, as Camel makes one: each is an instance of the same class. */
    private static final Expression BODY = ExpressionBuilder.bodyExpression();

    @Override
    protected ExpressionAdapter doCreateJsonPathExpression(Expression source, String expression, Object[] properties,
                                                           boolean predicate) {
        JsonPathExpression camels = (JsonPathExpression) super.doCreateJsonPathExpression(source, expression, properties, predicate);
        boolean readsInputAsIs = !camels.isWriteAsString() && !(camels.isAllowSimple() && expression.contains("${"));
        if (!readsInputAsIs) {
            return camels;
        }
        OnParsedBody onParsedBody = new OnParsedBody(camels, expression);
        onParsedBody.init(getCamelContext()); // as Camel's language does with its own (already done for camels)
        return onParsedBody;
    }

    /** One {@code jsonpath:} of a route: on a parsed body Jayway reads the tree, on any other body Camel's engine runs. */
    static final class OnParsedBody extends ExpressionAdapter {

        private final JsonPathExpression camels;
        private final String expression;
        private JsonPath path;
        private Configuration configuration;
        /** The filter as plain conditions, answered without Jayway where plain; only when read without Jayway's options. */
        private PlainFilter plain;

        OnParsedBody(JsonPathExpression camels, String expression) {
            this.camels = camels;
            this.expression = expression;
        }

        @Override
        public void init(CamelContext context) {
            if (path != null) {
                return;
            }
            // As Camel's engine does: a predicate may be written without the filter's brackets ($.type == 'track').
            String text = camels.isPredicate() && camels.isAllowEasyPredicate() ? new EasyPredicateParser().parse(expression) : expression;
            Configuration.ConfigurationBuilder builder = Configuration.builder()
                    .jsonProvider(new JacksonJsonNodeJsonProvider(JSON))
                    .mappingProvider(new JacksonMappingProvider(JSON));
            List<Option> options = new ArrayList<>();
            if (camels.getOptions() != null) {
                options.addAll(List.of(camels.getOptions()));
            }
            if (camels.isSuppressExceptions()) {
                options.add(Option.SUPPRESS_EXCEPTIONS);
            }
            configuration = builder.options(options.toArray(Option[]::new)).build();
            path = JsonPath.compile(text);
            // An option such as DEFAULT_PATH_LEAF_TO_NULL changes what a missing property is.
            boolean plainOptions = options.stream().allMatch(Option.SUPPRESS_EXCEPTIONS::equals);
            plain = plainOptions ? PlainFilter.of(text).orElse(null) : null;
        }

        @Override
        public Object evaluate(Exchange exchange) {
            if (!(input(exchange) instanceof JsonNode event)) {
                return camels.evaluate(exchange);
            }
            Object found = unpacked(read(event, exchange));
            Object result = asCamelGivesIt(found);
            Class<?> resultType = camels.getResultType();
            if (resultType == null) {
                return result;
            }
            if (Collection.class.isAssignableFrom(resultType) && !(result instanceof List)) {
                List<Object> single = new ArrayList<>();
                single.add(result);
                result = single;
            }
            return exchange.getContext().getTypeConverter().convertTo(resultType, exchange, result);
        }

        /** A filter's answer without building maps: only whether it found anything counts. */
        @Override
        public boolean matches(Exchange exchange) {
            if (!(input(exchange) instanceof JsonNode event) || camels.getResultType() != null) {
                return super.matches(exchange);
            }
            Optional<Boolean> plainly = plainly(event);
            if (plainly.isPresent()) {
                return plainly.get();
            }
            Object found = unpacked(read(event, exchange));
            if (found instanceof JsonNode node && node.isContainerNode()) {
                // As ObjectHelper.evaluateValuePredicate judges the list or map Camel's engine would have given.
                return !node.isArray() || !node.isEmpty();
            }
            // A leaf is judged as the Java value Camel's engine gives: false, null and "false" refuse.
            Object value = found instanceof JsonNode leaf ? configuration.jsonProvider().unwrap(leaf) : found;
            return ObjectHelper.evaluateValuePredicate(value);
        }

        /**
         * The filter's answer for a message whose body is {@code body}, where its conditions make it plain
         * ({@link PlainFilter}), without an exchange; empty when it must be asked on one.
         */
        Optional<Boolean> plainAnswer(Object body) {
            return readsTheBody() ? plainly(body) : Optional.empty();
        }

        private Optional<Boolean> plainly(Object input) {
            if (plain == null || camels.getResultType() != null || !(input instanceof JsonNode event)) {
                return Optional.empty();
            }
            return plain.answer(event);
        }

        /** Whether the expression reads the message body (Camel names it as its source when no other is set). */
        private boolean readsTheBody() {
            Expression source = camels.getSource();
            return source == null || source.getClass() == BODY.getClass();
        }

        /** What the expression reads: the body, or the header, variable or property the route names as its source. */
        private Object input(Exchange exchange) {
            Expression source = camels.getSource();
            return source == null ? exchange.getMessage().getBody() : source.evaluate(exchange, Object.class);
        }

        private Object read(JsonNode event, Exchange exchange) {
            try {
                return path.read(event, configuration);
            } catch (RuntimeException e) {
                throw new ExpressionEvaluationException(this, exchange, e);
            }
        }

        private Object unpacked(Object found) {
            boolean wantsCollection = camels.getResultType() != null && Collection.class.isAssignableFrom(camels.getResultType());
            if (camels.isUnpackArray() && !wantsCollection && found instanceof JsonNode node && node.isArray() && node.size() == 1) {
                return configuration.jsonProvider().unwrap(node.get(0));
            }
            return found;
        }

        /**
         * Jayway gives scalars as Java values already; containers become the maps and lists Camel's engine reads into,
         * and the list of what an indefinite path found is a LinkedList, as Jayway's Map-based provider makes it.
         */
        private Object asCamelGivesIt(Object found) {
            if (!(found instanceof JsonNode node)) {
                return found;
            }
            if (node.isArray() && !path.isDefinite()) {
                List<Object> all = new java.util.LinkedList<>();
                node.forEach(element -> all.add(JSON.convertValue(element, Object.class)));
                return all;
            }
            return JSON.convertValue(node, Object.class);
        }

        @Override
        public String toString() {
            return camels.toString();
        }
    }
}
