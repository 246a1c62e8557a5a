package org.segmentbridge.delivery;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.util.URISupport;
import org.segmentbridge.SettingsReader;

/**
 * One action's golden folder, {@code src/test/resources/golden/<destination>/<action>/}, read:
 * <ul>
 *   <li>{@code route.json}: {@code deliver} (the route's call, e.g. {@code deliver:emarsys:trigger?event=signed_up}),
 *       optional {@code settings} (this case's destination settings, e.g. {@code project-type}) and {@code note};</li>
 *   <li>{@code events/*.json}, in name order: what the {@code deliver:} step gets for one event: {@code event} (the
 *       Segment event), optional {@code fields} (what the route's mapping produced) and {@code primaryKey} (what an
 *       {@code identity:} step resolved);</li>
 *   <li>{@code request.golden.http}: the requests the action builds, one per batch;</li>
 *   <li>{@code answers/*.json}: a recorded vendor answer ({@code status}, {@code headers}, {@code body} as JSON or
 *       {@code text}) and the {@code verdicts} it must give the first request's items; or {@code notApplicable}
 *       saying why the vendor has no such answer for this endpoint.</li>
 * </ul>
 * Beside the action folders, {@code golden/<destination>/destination.properties} holds the settings every case of
 * the destination gets (base URL ...) and {@code credentials.properties} the fixed test credentials that only sign.
 */
record GoldenCase(Path folder, String actionName, Map<String, String> parameters, Map<String, String> settings,
                  List<EventInput> inputs) {

    static final Path ROOT = Path.of("src/test/resources/golden");
    static final String REQUEST_FILE = "request.golden.http";
    /** The answers every action's folder records, so each kind of answer is read at least once per action. */
    static final List<String> REQUIRED_ANSWERS = List.of("success", "item-failure", "rate-limited", "envelope-error");

    /** Reads numbers as written, so a golden file shows 19.90 as 19.90 and not as a double's 19.9. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    /** What {@code deliver:} hands the action for one event ({@link Action.Input} without parameters and settings). */
    record EventInput(String file, JsonNode event, ObjectNode fields, String primaryKey) {
    }

    /**
     * A recorded answer and the verdicts it must give, each the start of the verdict as {@link #describe} writes it;
     * or, with {@code notApplicable} set, why the endpoint has no such answer (then there is nothing to read).
     */
    record Answer(String name, String notApplicable, VendorAnswer answer, List<String> verdicts) {
    }

    static Stream<Path> actionFolders(String destination) {
        Path vendor = ROOT.resolve(destination);
        if (!Files.isDirectory(vendor)) {
            return Stream.empty();
        }
        try (Stream<Path> entries = Files.list(vendor)) {
            return entries.filter(Files::isDirectory).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static GoldenCase load(Path folder) {
        String destination = folder.getParent().getFileName().toString();
        String action = folder.getFileName().toString();
        JsonNode route = read(folder.resolve("route.json"));
        String deliver = route.path("deliver").asText();
        String expected = "deliver:" + destination + ":" + action;
        if (!(deliver.equals(expected) || deliver.startsWith(expected + "?"))) {
            throw new IllegalArgumentException(folder.resolve("route.json") + ": deliver must call " + expected + ", got '" + deliver + "'");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        try {
            // Camel's own parsing, so a value reads here as deliver: reads it.
            int query = deliver.indexOf('?');
            if (query >= 0) {
                URISupport.parseQuery(deliver.substring(query + 1)).forEach((name, value) -> parameters.put(name, String.valueOf(value)));
            }
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(folder.resolve("route.json") + ": " + e.getMessage(), e);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        route.path("settings").fields().forEachRemaining(setting -> settings.put(setting.getKey(), setting.getValue().asText()));
        List<EventInput> inputs = new ArrayList<>();
        for (Path file : jsonFiles(folder.resolve("events"))) {
            JsonNode input = read(file);
            if (!input.path("event").isObject()) {
                throw new IllegalArgumentException(file + ": needs event, the Segment event the deliver: step gets");
            }
            ObjectNode fields = input.path("fields").isObject() ? (ObjectNode) input.get("fields") : JSON.createObjectNode();
            inputs.add(new EventInput(file.getFileName().toString(), input.get("event"), fields, input.path("primaryKey").asText(null)));
        }
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException(folder + ": events/ has no event");
        }
        return new GoldenCase(folder, action, parameters, settings, inputs);
    }

    static List<String> answerNames(Path folder) {
        return jsonFiles(folder.resolve("answers")).stream()
                .map(file -> file.getFileName().toString().replaceFirst("\\.json$", "")).toList();
    }

    Answer answer(String name) {
        Path file = folder.resolve("answers").resolve(name + ".json");
        JsonNode recorded = read(file);
        if (recorded.hasNonNull("notApplicable")) {
            return new Answer(name, recorded.get("notApplicable").asText(), null, List.of());
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        recorded.path("headers").fields().forEachRemaining(header ->
                headers.put(header.getKey().toLowerCase(Locale.ROOT), List.of(header.getValue().asText())));
        String body = recorded.has("text") ? recorded.get("text").asText()
                : recorded.has("body") ? recorded.get("body").toString() : "";
        if (!recorded.path("status").isInt() || !recorded.path("verdicts").isArray()) {
            throw new IllegalArgumentException(file + ": needs status and verdicts (or notApplicable)");
        }
        List<String> verdicts = new ArrayList<>();
        recorded.get("verdicts").forEach(verdict -> verdicts.add(verdict.asText()));
        return new Answer(name, null, new VendorAnswer(recorded.get("status").asInt(), headers,
                body.getBytes(StandardCharsets.UTF_8)), verdicts);
    }

    /** This case's destination settings: the destination's shared ones, then the case's own. */
    DestinationSettings destinationSettings() {
        return destinationSettings(Map.of());
    }

    /** The same, with the fixed test credentials, which only sign the request. */
    DestinationSettings signingSettings() {
        return destinationSettings(properties(folder.getParent().resolve("credentials.properties")));
    }

    String destination() {
        return folder.getParent().getFileName().toString();
    }

    /** How a verdict reads in a golden answer: "delivered", "dead-letter 200 2008: ...", "retry after 2s: ...". */
    static String describe(Verdict verdict) {
        if (verdict instanceof Verdict.Delivered) {
            return "delivered";
        }
        if (verdict instanceof Verdict.Skipped skipped) {
            return "skipped: " + skipped.reason();
        }
        if (verdict instanceof Verdict.Retry retry) {
            return "retry" + (retry.notBefore().isZero() ? "" : " after " + retry.notBefore().toSeconds() + "s") + ": " + retry.reason();
        }
        if (verdict instanceof Verdict.Failed failed) {
            return "dead-letter " + failed.status() + (failed.code() == null ? "" : " " + failed.code()) + ": " + failed.message();
        }
        Verdict.SplitBatch split = (Verdict.SplitBatch) verdict;
        return "split " + split.status() + ": " + split.message();
    }

    private DestinationSettings destinationSettings(Map<String, String> credentials) {
        Map<String, String> own = new LinkedHashMap<>(properties(folder.getParent().resolve("destination.properties")));
        own.putAll(settings);
        own.putAll(credentials);
        Properties properties = new Properties();
        DELIVERY_DEFAULTS.forEach(properties::setProperty);
        own.forEach((key, value) -> properties.setProperty("bridge.destination." + destination() + "." + key, value));
        PropertiesComponent component = new PropertiesComponent();
        component.setCamelContext(PROPERTIES_ONLY);
        component.setInitialProperties(properties);
        component.init();
        return new DestinationSettings(destination(), new SettingsReader(component));
    }

    /** What a properties component needs to convert values; it is never started. */
    private static final DefaultCamelContext PROPERTIES_ONLY = new DefaultCamelContext();

    /** The shipped {@code bridge.delivery.*} defaults, which every destination's settings require. */
    private static final Map<String, String> DELIVERY_DEFAULTS = deliveryDefaults();

    private static Map<String, String> deliveryDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        properties(Path.of("application.properties")).forEach((key, value) -> {
            if (key.startsWith("bridge.delivery.")) {
                defaults.put(key, value);
            }
        });
        return defaults;
    }

    private static Map<String, String> properties(Path file) {
        Properties properties = new Properties();
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties.stringPropertyNames().stream().sorted().forEach(key -> values.put(key, properties.getProperty(key)));
        return values;
    }

    private static List<Path> jsonFiles(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
