package org.segmentbridge.delivery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** A route's parameters for an action, checked against the action's declarations when {@code deliver:} builds the step. */
final class ActionParameters {

    private ActionParameters() {
    }

    /**
     * Unknown and ill-typed parameters first (they stop the start whatever the destination does), then required ones
     * left blank, then the action's own rules.
     *
     * @param given the route's parameters, without {@code mapping}
     * @throws MissingParameter        naming a required parameter that is not given or blank
     * @throws IllegalArgumentException naming an unknown or ill-typed parameter
     */
    static void check(Action action, Map<String, String> given) {
        Map<String, ActionParameter> declared = byName(action);
        Set<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(declared.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(action.name() + " has no parameter "
                    + unknown.stream().map(name -> "'" + name + "'").collect(Collectors.joining(", ")) + "; " + takes(action));
        }
        for (ActionParameter parameter : declared.values()) {
            parameter.problemWith(given.get(parameter.name())).ifPresent(problem -> {
                throw new IllegalArgumentException(action.name() + ": " + problem);
            });
        }
        for (ActionParameter parameter : declared.values()) {
            String value = given.get(parameter.name());
            if (parameter.required() && (value == null || value.isBlank())) {
                throw new MissingParameter(action.name() + " needs " + parameter.usage() + " (" + parameter.doc() + ")");
            }
        }
        action.validate(given);
    }

    /** "it takes event, keyField (and mapping)", or "it takes only mapping". */
    static String takes(Action action) {
        List<String> names = action.parameters().stream().map(ActionParameter::name).toList();
        return names.isEmpty() ? "it takes only mapping" : "it takes " + String.join(", ", names) + " (and mapping)";
    }

    private static Map<String, ActionParameter> byName(Action action) {
        Map<String, ActionParameter> byName = new LinkedHashMap<>();
        for (ActionParameter parameter : action.parameters()) {
            if (byName.put(parameter.name(), parameter) != null) {
                throw new IllegalStateException(action.name() + " declares parameter " + parameter.name() + " twice");
            }
        }
        return byName;
    }
}
