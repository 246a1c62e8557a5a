package org.segmentbridge.identity;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import org.segmentbridge.steps.StepEndpoint;

/**
 * {@code crossing:<name>?path=<JSONPath>&atLeast=<number>}: lets an event through only when it takes its person from
 * below the threshold to at or above it. Later events above it stop the route; an event below it re-arms the
 * crossing, so the next rise fires again. Used for "once per crossing" rules such as a VIP fast-track.
 *
 * <p>{@code once:<name>} is the degenerate rule: it lets through the first event of each person, and none after
 * (an onboarding journey started by a person's first identify).
 */
public final class CrossingComponent extends DefaultComponent {

    private static final Configuration JSON_PATHS = Configuration.builder()
            .jsonProvider(new JacksonJsonNodeJsonProvider()).mappingProvider(new JacksonMappingProvider())
            .options(Option.SUPPRESS_EXCEPTIONS).build();

    private final ThresholdCrossings crossings;

    public CrossingComponent(ThresholdCrossings crossings) {
        this.crossings = crossings;
    }

    /** {@code once:<name>}: the same store, with every event counted as above a threshold nobody starts above. */
    public static CrossingComponent once(ThresholdCrossings crossings) {
        CrossingComponent once = new CrossingComponent(crossings);
        once.firstOnly = true;
        return once;
    }

    private boolean firstOnly;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (firstOnly) {
            if (remaining.isBlank() || !parameters.isEmpty()) {
                throw new IllegalArgumentException("once:" + remaining + " takes a name and no parameters: once:<name>");
            }
            parameters.put("path", "$.type");
            parameters.put("atLeast", "0");
        }
        String where = (firstOnly ? "once:" : "crossing:") + remaining;
        Object path = parameters.remove("path");
        Object atLeast = parameters.remove("atLeast");
        if (remaining.isBlank() || path == null || atLeast == null) {
            throw new IllegalArgumentException(where + " needs a name, path and atLeast: crossing:<name>?path=<JSONPath>&atLeast=<number>");
        }
        if (!parameters.isEmpty()) {
            throw new IllegalArgumentException(where + " has unknown parameters " + parameters.keySet());
        }
        JsonPath compiled;
        try {
            compiled = JsonPath.compile(path.toString());
        } catch (InvalidPathException | IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": path '" + path + "' is not a JSONPath: " + e.getMessage());
        }
        BigDecimal threshold;
        try {
            threshold = new BigDecimal(atLeast.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": atLeast must be a number, got '" + atLeast + "'");
        }
        return new StepEndpoint(uri, this, where, exchange -> {
            if (!crossesUp(where, compiled, threshold, exchange.getMessage().getMandatoryBody(JsonNode.class))) {
                exchange.setRouteStop(true);
            }
        });
    }

    private boolean crossesUp(String name, JsonPath path, BigDecimal threshold, JsonNode event) throws SQLException {
        Optional<BigDecimal> value = firstOnly ? Optional.of(BigDecimal.ONE) : number(path.read(event, JSON_PATHS));
        if (value.isEmpty()) {
            return false;
        }
        boolean above = value.get().compareTo(threshold) >= 0;
        return crossings.moved(name, event.path("userId").asText(null), event.path("anonymousId").asText(null), above) && above;
    }

    private static Optional<BigDecimal> number(Object value) {
        if (value instanceof JsonNode node && (node.isNumber() || node.isTextual())) {
            try {
                return Optional.of(new BigDecimal(node.asText().trim()));
            } catch (NumberFormatException notANumber) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
