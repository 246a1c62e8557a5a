package org.segmentbridge.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.Route;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.WhenDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.support.DefaultExchange;
import org.segmentbridge.queue.EventQueue;

/**
 * Whether a route can do anything with an event, known from the event's type and name alone, before an exchange is
 * made for it.
 *
 * <p>Why: every event of a destination is handed to each of its routes, one per use case, and most routes take only a
 * few event types or names. A Camel exchange per route and event (its unit of work, its route policy, its filter) was
 * most of a destination's processing. A route whose steps are one {@code filter}, or one {@code choice} without
 * {@code otherwise}, on {@code simple} conditions that read only {@code ${header.eventType}} and
 * {@code ${header.eventName}} does nothing for an event its conditions refuse, and the answer depends on those two
 * values only: it is worked out once per (type, name) with the route's own conditions and remembered. Any other route
 * (a {@code jsonpath} filter, steps before the filter) is always entered, as before.
 */
final class RouteGate {

    /** Enters every event: the route's first steps depend on more than the event's type and name. */
    static final RouteGate OPEN = new RouteGate(null, List.of());

    /** Distinct (type, name) pairs remembered per route; event names come from senders, so they are bounded. */
    private static final int REMEMBERED = 4096;
    private static final Pattern SIMPLE_FUNCTION = Pattern.compile("\\$\\{([^{}]*)}");
    private static final List<String> GATE_HEADERS = List.of(EventQueue.TYPE_PROPERTY, EventRoutes.EVENT_NAME_HEADER);

    private final CamelContext context;
    private final List<Predicate> conditions;
    private final Map<List<String>, Boolean> remembered = new ConcurrentHashMap<>();

    private RouteGate(CamelContext context, List<Predicate> conditions) {
        this.context = context;
        this.conditions = conditions;
    }

    /** The gate of a started route: {@link #OPEN} unless its definition is one gateable filter or choice. */
    static RouteGate of(Route route) {
        CamelContext context = route.getCamelContext();
        if (!(context instanceof ModelCamelContext model)) {
            return OPEN;
        }
        return of(context, model.getRouteDefinition(route.getRouteId()));
    }

    static RouteGate of(CamelContext context, RouteDefinition definition) {
        if (definition == null || definition.getOutputs().size() != 1) {
            return OPEN;
        }
        List<ExpressionDefinition> expressions = new ArrayList<>();
        ProcessorDefinition<?> only = definition.getOutputs().get(0);
        if (only instanceof FilterDefinition filter) {
            expressions.add(filter.getExpression());
        } else if (only instanceof ChoiceDefinition choice && choice.getOtherwise() == null) {
            for (WhenDefinition when : choice.getWhenClauses()) {
                expressions.add(when.getExpression());
            }
        } else {
            return OPEN;
        }
        List<Predicate> conditions = new ArrayList<>();
        for (ExpressionDefinition expression : expressions) {
            String text = headersOnlySimple(context, expression);
            if (text == null) {
                return OPEN;
            }
            conditions.add(context.resolveLanguage("simple").createPredicate(text));
        }
        return conditions.isEmpty() ? OPEN : new RouteGate(context, List.copyOf(conditions));
    }

    /** The condition's text with its placeholders resolved, if it is {@code simple} and reads only the gate's headers. */
    private static String headersOnlySimple(CamelContext context, ExpressionDefinition expression) {
        if (expression == null || !"simple".equals(expression.getLanguage()) || expression.getExpression() == null
                || expression.getPredicate() != null || expression.getExpressionValue() != null) {
            return null;
        }
        String text = context.resolvePropertyPlaceholders(expression.getExpression());
        int functions = text.split("\\$", -1).length - 1;
        Matcher matcher = SIMPLE_FUNCTION.matcher(text);
        int headerReads = 0;
        while (matcher.find()) {
            String function = matcher.group(1).trim();
            if (!function.startsWith("header.") || !GATE_HEADERS.contains(function.substring("header.".length()))) {
                return null;
            }
            headerReads++;
        }
        // Every '$' is one of those reads: nothing else (another function, $simple{...}) is evaluated.
        return headerReads == functions ? text : null;
    }

    boolean isOpen() {
        return conditions.isEmpty();
    }

    /** False only when the route's conditions refuse every event of this type and name. */
    boolean admits(String eventType, String eventName) {
        if (conditions.isEmpty()) {
            return true;
        }
        List<String> key = java.util.Arrays.asList(eventType, eventName);
        Boolean known = remembered.get(key);
        if (known != null) {
            return known;
        }
        boolean admits = evaluate(eventType, eventName);
        if (remembered.size() < REMEMBERED) {
            remembered.put(key, admits);
        }
        return admits;
    }

    private boolean evaluate(String eventType, String eventName) {
        Exchange probe = new DefaultExchange(context);
        probe.getMessage().setHeader(EventQueue.TYPE_PROPERTY, eventType);
        probe.getMessage().setHeader(EventRoutes.EVENT_NAME_HEADER, eventName);
        try {
            for (Predicate condition : conditions) {
                if (condition.matches(probe)) {
                    return true;
                }
            }
            return false;
        } catch (RuntimeException e) {
            return true; // the route meets the same failure itself, where it is reported
        }
    }
}
