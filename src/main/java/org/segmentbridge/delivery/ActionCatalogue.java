package org.segmentbridge.delivery;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Every action of the connectors the destinations use, with its declared parameters, its request limits and its
 * pace: as text for the {@code actions} command, and as Markdown for the README's action reference. Nothing here is
 * written by hand: it all comes from the actions' declarations.
 */
public final class ActionCatalogue {

    private static final String MAPPING = "mapping=<name>";

    /** One vendor: its connector and the destinations that use it. */
    private record Vendor(Connector connector, List<String> destinations) {
        String title() {
            return connector.actions().vendor();
        }

        String calls() {
            return destinations.stream().map(destination -> "deliver:" + destination + ":<action>").collect(Collectors.joining(", "));
        }
    }

    private final List<Vendor> vendors = new ArrayList<>();

    /** @param connectors by destination, in the order to show; destinations sharing a connector class are shown once */
    public ActionCatalogue(Map<String, Connector> connectors) {
        Map<Class<?>, Vendor> byClass = new LinkedHashMap<>();
        connectors.forEach((destination, connector) -> byClass
                .computeIfAbsent(connector.getClass(), ignored -> new Vendor(connector, new ArrayList<>()))
                .destinations().add(destination));
        vendors.addAll(byClass.values());
    }

    /** The catalogue as the {@code actions} command prints it. */
    public void print(PrintStream out) {
        out.println("Every action also takes " + MAPPING + ": the event is first turned into vendor fields with "
                + "mappings/<name>.yaml.");
        for (Vendor vendor : vendors) {
            out.println();
            out.println("== " + vendor.title() + ": " + vendor.calls() + " ==");
            for (Action action : vendor.connector().actions().all()) {
                out.println(action.name() + ": " + action.description());
                out.println("    " + size(action) + pace(action));
                int width = action.parameters().stream().mapToInt(parameter -> parameter.name().length()).max().orElse(0);
                for (ActionParameter parameter : action.parameters()) {
                    out.println("    " + pad(parameter.name(), width) + "  " + kind(parameter, false) + ": " + parameter.doc());
                }
            }
        }
    }

    /** The catalogue as the README's action reference: one section per vendor, one item per action. */
    public String markdown() {
        StringBuilder text = new StringBuilder("Every action also takes `" + MAPPING + "`: the event is first turned into "
                + "vendor fields with `mappings/<name>.yaml`. A parameter marked required must have a value; left empty "
                + "(a setting without value) it stops the start once the destination sends, and is a warning while it "
                + "runs in dry-run. An unknown parameter, or a value of the wrong type, always stops the start.\n");
        for (Vendor vendor : vendors) {
            text.append("\n### ").append(vendor.title()).append(": ")
                    .append(vendor.destinations().stream().map(destination -> "`deliver:" + destination + ":<action>`")
                            .collect(Collectors.joining(", ")))
                    .append("\n\n");
            for (Action action : vendor.connector().actions().all()) {
                text.append("- **`").append(action.name()).append("`**: ").append(action.description()).append(". ")
                        .append(capitalized(size(action) + pace(action))).append(".\n");
                for (ActionParameter parameter : action.parameters()) {
                    text.append("  - `").append(parameter.name()).append("` (").append(kind(parameter, true)).append("): ")
                            .append(parameter.doc()).append('\n');
                }
                if (action.parameters().isEmpty()) {
                    text.append("  - no parameters\n");
                }
            }
        }
        return text.toString();
    }

    /** "text, required", "boolean, default false", "one of none|all, required", "list of ids, optional, secret". */
    private static String kind(ActionParameter parameter, boolean markdown) {
        String type = parameter.type() == ActionParameter.Type.ENUM
                ? "one of " + parameter.allowed().stream().map(value -> markdown ? "`" + value + "`" : value)
                        .collect(Collectors.joining(markdown ? ", " : "|"))
                : parameter.type().label();
        String need = parameter.required() ? "required"
                : parameter.defaultValue() == null ? "optional"
                : "default " + (markdown ? "`" + parameter.defaultValue() + "`" : parameter.defaultValue());
        return type + ", " + need + (parameter.secret() ? ", secret" : "");
    }

    /** "one item a request, at most 1 MB", "up to 1,000 items a request, at most 8 MB". */
    private static String size(Action action) {
        Action.BatchLimits limits = action.limits();
        String items = limits.maxItems() == 1 ? "one item a request"
                : "up to " + String.format(Locale.ROOT, "%,d", limits.maxItems()) + " items a request";
        return items + ", at most " + bytes(limits.maxBytes());
    }

    private static String pace(Action action) {
        return action.endpointRate().map(rate -> ", paced at " + String.format(Locale.ROOT, "%,d", rate.requests())
                + per(rate.period())).orElse("");
    }

    private static String per(Duration period) {
        if (period.equals(Duration.ofSeconds(1))) {
            return " requests a second";
        }
        if (period.equals(Duration.ofMinutes(1))) {
            return " requests a minute";
        }
        return " requests per " + period.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private static String bytes(long bytes) {
        if (bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + " MB";
        }
        return bytes % 1024 == 0 ? bytes / 1024 + " KB" : bytes + " bytes";
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
