package org.segmentbridge.observe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The monitoring shipped under {@code ops/}: the PromQL of the alert rules and of the Grafana dashboard, and the
 * metric names each query reads.
 */
final class MonitoringFiles {

    static final Path ALERTS = Path.of("ops/prometheus/alerts.yml");
    static final Path ALERT_TESTS = Path.of("ops/prometheus/alerts.test.yml");
    static final Path DASHBOARD = Path.of("ops/grafana/segment-bridge.json");

    /** Grafana's template variables: {@code $__rate_interval}, {@code $instance}, {@code ${datasource}}. */
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{?(\\w+)}?");
    /** Grafana's {@code label_values(metric, label)}: a variable's values, not PromQL. */
    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\(\\s*([a-zA-Z_:][\\w:]*)\\s*,");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern LABEL_LIST = Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    /** An identifier that is not part of a number or a duration (5m, 1e3). */
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])[a-zA-Z_:][\\w:]*");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "and", "or", "unless", "offset", "inf", "nan");

    private MonitoringFiles() {
    }

    /** Each alert's expression, by alert name. */
    static Map<String, String> alertExpressions() {
        Map<String, String> expressions = new LinkedHashMap<>();
        for (JsonNode group : read(new YAMLMapper(), ALERTS).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                expressions.put(rule.path("alert").asText(), rule.path("expr").asText());
            }
        }
        return expressions;
    }

    /** Each dashboard query ("panel title / refId"), with the template variables' queries ("variable <name>"). */
    static Map<String, String> dashboardQueries() {
        JsonNode dashboard = read(new ObjectMapper(), DASHBOARD);
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.path("title").asText() + " / " + target.path("refId").asText(), target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                queries.put("variable " + variable.path("name").asText(), variable.path("query").path("query").asText());
            }
        }
        return queries;
    }

    /** A dashboard query as Prometheus would receive it: Grafana's variables replaced by what they stand for. */
    static String asPromQl(String query) {
        return GRAFANA_VARIABLE.matcher(query.replace("$__rate_interval", "5m")).replaceAll(".*");
    }

    static boolean isPromQl(String query) {
        return !LABEL_VALUES.matcher(query).find();
    }

    /**
     * The metric names a query reads: identifiers left once strings, label matchers, ranges and grouping label
     * lists are taken out, other than functions and aggregations (an identifier followed by an opening parenthesis)
     * and PromQL's keywords.
     */
    static Set<String> metricNames(String query) {
        Set<String> names = new TreeSet<>();
        Matcher labelValues = LABEL_VALUES.matcher(query);
        if (labelValues.find()) {
            names.add(labelValues.group(1));
            return names;
        }
        String promQl = STRING.matcher(asPromQl(query)).replaceAll("\"\"");
        promQl = MATCHERS.matcher(promQl).replaceAll(" ");
        promQl = RANGE.matcher(promQl).replaceAll(" ");
        promQl = LABEL_LIST.matcher(promQl).replaceAll(" ");
        Matcher identifier = IDENTIFIER.matcher(promQl);
        while (identifier.find()) {
            String name = identifier.group();
            boolean called = promQl.substring(identifier.end()).matches("(?s)\\s*\\(.*");
            if (!called && !KEYWORDS.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /** Every metric name the alerts and the dashboard read, each with where it is read. */
    static Map<String, List<String>> metricsRead() {
        Map<String, List<String>> read = new LinkedHashMap<>();
        alertExpressions().forEach((alert, expression) -> metricNames(expression)
                .forEach(name -> read.computeIfAbsent(name, any -> new ArrayList<>()).add("alert " + alert)));
        dashboardQueries().forEach((panel, query) -> metricNames(query)
                .forEach(name -> read.computeIfAbsent(name, any -> new ArrayList<>()).add("dashboard " + panel)));
        return read;
    }

    private static JsonNode read(ObjectMapper mapper, Path file) {
        try {
            return mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
