package org.segmentbridge.api;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.Response;
import com.atlassian.oai.validator.report.LevelResolverFactory;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.support.RunningBridge;

/**
 * The bridge's OpenAPI description, read for tests: swagger-request-validator checks exchanges against it, and its
 * operations (method and path template) are listed so that a test can tell which one a request reaches and whether
 * a route of the bridge is described.
 */
final class ApiDescription {

    /** The methods an OpenAPI path item can hold operations for. */
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern PARAMETER = Pattern.compile("\\{[^/}]+}");

    /** One operation: {@code POST /admin/dead-letters/{id}/replay}. */
    record Operation(String method, String path) {

        @Override
        public String toString() {
            return method + " " + path;
        }

        /** Whether a concrete request path is one of this operation's paths. */
        boolean matches(String method, String concretePath) {
            return this.method.equalsIgnoreCase(method) && template(path).matcher(concretePath).matches();
        }

        int parameters() {
            return (int) PARAMETER.matcher(path).results().count();
        }
    }

    private final OpenApiInteractionValidator validator;
    private final List<Operation> operations;

    private ApiDescription(OpenApiInteractionValidator validator, List<Operation> operations) {
        this.validator = validator;
        this.operations = operations;
    }

    static ApiDescription of(String json) {
        JsonNode document;
        try {
            document = RunningBridge.JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("the description is not JSON", e);
        }
        List<Operation> operations = new ArrayList<>();
        for (Iterator<String> paths = document.path("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            document.path("paths").path(path).fieldNames().forEachRemaining(field -> {
                if (METHODS.contains(field)) {
                    operations.add(new Operation(field.toUpperCase(Locale.ROOT), path));
                }
            });
        }
        // Literal paths first: /admin/dead-letters/replay is not the dead letter whose id is "replay".
        operations.sort(Comparator.comparingInt(Operation::parameters));
        // The description says where a body may hold no other fields (additionalProperties: false); elsewhere OpenAPI
        // allows them, and the validator's default of refusing them everywhere would also fail every allOf.
        OpenApiInteractionValidator validator = OpenApiInteractionValidator.createForInlineApiSpecification(json)
                .withLevelResolver(LevelResolverFactory.withAdditionalPropertiesIgnored()).build();
        return new ApiDescription(validator, List.copyOf(operations));
    }

    List<Operation> operations() {
        return operations;
    }

    /** The operation a request reaches, if the description has one. */
    Optional<Operation> operationOf(String method, String concretePath) {
        return operations.stream().filter(operation -> operation.matches(method, concretePath)).findFirst();
    }

    /**
     * Whether the description has an operation for every request a route serves: a route's path parameter (e.g.
     * {@code /v1/{call}}) stands for any segment, so a description that names the paths one by one covers it.
     */
    boolean describesRoute(String method, String routePath) {
        Pattern served = template(routePath);
        return operations.stream().anyMatch(operation -> operation.method().equalsIgnoreCase(method)
                && served.matcher(operation.path()).matches());
    }

    ValidationReport validate(Request request, Response response) {
        return validator.validate(request, response);
    }

    ValidationReport validateRequest(Request request) {
        return validator.validateRequest(request);
    }

    ValidationReport validateResponse(String path, Request.Method method, Response response) {
        return validator.validateResponse(path, method, response);
    }

    /** The messages of a report at error level, as keys with their text, for assertions that show what broke. */
    static Set<String> errors(ValidationReport report) {
        Set<String> errors = new TreeSet<>();
        report.getMessages().stream().filter(message -> message.getLevel() == ValidationReport.Level.ERROR)
                .forEach(message -> errors.add(message.getKey() + ": " + message.getMessage()));
        return errors;
    }

    /** A path template as a pattern: each {@code {parameter}} is one path segment. */
    private static Pattern template(String path) {
        StringBuilder pattern = new StringBuilder();
        int at = 0;
        var parameters = PARAMETER.matcher(path);
        while (parameters.find()) {
            pattern.append(Pattern.quote(path.substring(at, parameters.start()))).append("[^/]+");
            at = parameters.end();
        }
        return Pattern.compile(pattern.append(Pattern.quote(path.substring(at))).toString());
    }
}
