package org.segmentbridge.delivery;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.processor.ChoiceProcessor;
import org.apache.camel.processor.FilterProcessor;
import org.apache.camel.support.DefaultExchange;
import org.segmentbridge.queue.EventQueue;

/**
 * Whether a route can do anything with an event, known before an exchange is made for it.
 *
 * <p>Why: every event of a destination is handed to each of its routes, one per use case, and most routes take only a
 * few kinds of event. A Camel exchange per route and event (its unit of work, its route policy, its filter) was most of
 * a destination's processing. A route whose steps are one {@code filter}, or one {@code choice} without
 * {@code otherwise}, on {@code simple} or {@code jsonpath} conditions does nothing for an event its conditions refuse.
 * The gate asks those very conditions (the route's own predicates) first, on a bare exchange holding the event and its
 * headers; a {@code jsonpath} filter of plain conditions answers from the event itself where it can
 * ({@link PlainFilter}), and then no exchange is made. Conditions that read only {@code ${header.eventType}} and
 * {@code ${header.eventName}} are asked once per (type, name) and the answer remembered. Any other route (a step before or after the filter, another language, which
 * might do something when asked) is always entered, as before.
 */
public final class RouteGate {

    /** Enters every event. */
    static final RouteGate OPEN = new RouteGate(null, List.of(), false);

    /** Distinct (type, name) pairs remembered per route; event names come from senders, so they are bounded. */
    private static final int REMEMBERED = 4096;
    private static final Pattern SIMPLE_FUNCTION = Pattern.compile("\\$\\{([^{}]*)}");
    private static final List<String> GATE_HEADERS = List.of(EventQueue.TYPE_PROPERTY, EventRoutes.EVENT_NAME_HEADER);
    /** Languages whose conditions only read the exchange, so asking them once more changes nothing. */
    private static final List<String> READ_ONLY_LANGUAGES = List.of("simple", "jsonpath");

    private final CamelContext context;
    private final List<Predicate> conditions;
    private final boolean typeAndNameOnly;
    private final Map<List<String>, Boolean> remembered = new ConcurrentHashMap<>();

    private RouteGate(CamelContext context, List<Predicate> conditions, boolean typeAndNameOnly) {
        this.context = context;
        this.conditions = conditions;
        this.typeAndNameOnly = typeAndNameOnly;
    }

    /** The gate of a started route: {@link #OPEN} unless its steps are one filter or choice the gate can ask. */
    public static RouteGate of(Route route) {
        CamelContext context = route.getCamelContext();
        if (!(context instanceof ModelCamelContext model)) {
            return OPEN;
        }
        RouteDefinition definition = model.getRouteDefinition(route.getRouteId());
        if (definition == null || definition.getOutputs().size() != 1) {
            return OPEN;
        }
        ProcessorDefinition<?> only = definition.getOutputs().get(0);
        List<ExpressionDefinition> expressions = new ArrayList<>();
        if (only instanceof FilterDefinition filter) {
            expressions.add(filter.getExpression());
        } else if (only instanceof ChoiceDefinition choice && choice.getOtherwise() == null) {
            choice.getWhenClauses().forEach(when -> expressions.add(when.getExpression()));
        } else {
            return OPEN;
        }
        if (expressions.isEmpty() || !expressions.stream().allMatch(RouteGate::readOnly)) {
            return OPEN;
        }
        List<Predicate> conditions = conditionsOf(route, only);
        if (conditions.size() != expressions.size()) {
            return OPEN;
        }
        boolean typeAndNameOnly = expressions.stream().allMatch(expression -> readsOnlyTypeAndName(context, expression));
        return new RouteGate(context, conditions, typeAndNameOnly);
    }

    private static boolean readOnly(ExpressionDefinition expression) {
        return expression != null && READ_ONLY_LANGUAGES.contains(expression.getLanguage());
    }

    /** The predicates the route's filter or choice evaluates, as Camel built them. */
    private static List<Predicate> conditionsOf(Route route, ProcessorDefinition<?> step) {
        if (step.getId() == null) {
            return List.of();
        }
        for (Processor processor : route.filter(step.getId())) {
            if (processor instanceof FilterProcessor filter) {
                return List.of(filter.getPredicate());
            }
            if (processor instanceof ChoiceProcessor choice && choice.getOtherwise() == null) {
                return choice.getFilters().stream().map(FilterProcessor::getPredicate).toList();
            }
        }
        return List.of();
    }

    /** Whether the condition is {@code simple} and reads nothing but the gate's two headers. */
    private static boolean readsOnlyTypeAndName(CamelContext context, ExpressionDefinition expression) {
        if (!"simple".equals(expression.getLanguage()) || expression.getExpression() == null) {
            return false;
        }
        String text = context.resolvePropertyPlaceholders(expression.getExpression());
        int functions = text.split("\\$", -1).length - 1;
        Matcher matcher = SIMPLE_FUNCTION.matcher(text);
        int headerReads = 0;
        while (matcher.find()) {
            String function = matcher.group(1).trim();
            if (!function.startsWith("header.") || !GATE_HEADERS.contains(function.substring("header.".length()))) {
                return false;
            }
            headerReads++;
        }
        // Every '$' is one of those reads: nothing else (another function, $simple{...}) is evaluated.
        return headerReads == functions;
    }

    public boolean isOpen() {
        return conditions.isEmpty();
    }

    /** Whether the conditions read only the event's type and name (the answer is remembered per pair). */
    public boolean readsOnlyTypeAndName() {
        return typeAndNameOnly;
    }

    /**
     * False only when the route's own conditions refuse the event.
     *
     * @param event the event as the route's body gets it
     */
    public boolean admits(String eventType, String eventName, Object event) {
        if (conditions.isEmpty()) {
            return true;
        }
        if (!typeAndNameOnly) {
            return ask(eventType, eventName, event);
        }
        List<String> key = Arrays.asList(eventType, eventName);
        Boolean known = remembered.get(key);
        if (known != null) {
            return known;
        }
        boolean admits = ask(eventType, eventName, null);
        if (remembered.size() < REMEMBERED) {
            remembered.put(key, admits);
        }
        return admits;
    }

    private boolean ask(String eventType, String eventName, Object event) {
        Exchange probe = null;
        try {
            for (Predicate condition : conditions) {
                // A plain jsonpath filter is answered from the event itself (most events fail it), without a probe.
                Optional<Boolean> plain = condition instanceof ParsedEventJsonPath.OnParsedBody jsonPath
                        ? jsonPath.plainAnswer(event) : Optional.empty();
                if (plain.isPresent()) {
                    if (plain.get()) {
                        return true;
                    }
                    continue;
                }
                if (probe == null) {
                    probe = probe(eventType, eventName, event);
                }
                if (condition.matches(probe)) {
                    return true;
                }
            }
            // The route meets the same failure itself, where it is reported.
            return probe != null && probe.getException() != null;
        } catch (RuntimeException e) {
            return true;
        }
    }

    private Exchange probe(String eventType, String eventName, Object event) {
        Exchange probe = new DefaultExchange(context);
        probe.getMessage().setBody(event);
        probe.getMessage().setHeader(EventQueue.TYPE_PROPERTY, eventType);
        probe.getMessage().setHeader(EventRoutes.EVENT_NAME_HEADER, eventName);
        return probe;
    }
}
