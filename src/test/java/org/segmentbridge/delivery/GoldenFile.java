package org.segmentbridge.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.assertj.core.util.diff.DiffUtils;

/**
 * A golden file: text a test compares what the code produces with. A missing or different file fails the test with
 * a unified diff; only {@code -Dgolden.update=true} writes it, so a change is always a deliberate, reviewed one.
 */
final class GoldenFile {

    static final String UPDATE_PROPERTY = "golden.update";

    private GoldenFile() {
    }

    /** @throws AssertionError naming the file, with a diff, when it is missing or differs (and no update was asked) */
    static void assertMatches(Path file, String produced) {
        String current = read(file);
        if (produced.equals(current)) {
            return;
        }
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            write(file, produced);
            System.out.println("golden file written: " + file);
            return;
        }
        String howToAccept = "Run the test with -D" + UPDATE_PROPERTY + "=true to write what the code produces, then review "
                + "the change with git diff.";
        if (current == null) {
            throw new AssertionError(file + " is missing. " + howToAccept + "\nThe code produces:\n" + produced);
        }
        List<String> golden = current.lines().toList();
        List<String> diff = DiffUtils.generateUnifiedDiff(file + " (golden)", "produced by the code", golden,
                DiffUtils.diff(golden, produced.lines().toList()), 3);
        throw new AssertionError(file + " differs from what the code produces (- golden, + produced). " + howToAccept
                + "\n" + String.join("\n", diff));
    }

    /**
     * A request as a golden file shows it, in the {@code .http} format editors run: the request line, the headers and
     * the body; a JSON body pretty-printed in its own key order, a form body one decoded parameter a line (JSON values
     * pretty-printed), an encoded query string also decoded below the request line, as comments. Requests are separated
     * by {@code ###}.
     */
    static String http(OutboundRequest request) {
        StringBuilder text = new StringBuilder(request.method()).append(' ').append(request.uri()).append('\n');
        String query = request.uri().getRawQuery();
        if (query != null && query.contains("%")) {
            text.append("# the query, decoded:\n").append(decodedForm(query).replaceAll("(?m)^", "#   ")).append('\n');
        }
        request.headers().forEach((name, value) -> text.append(name).append(": ").append(value).append('\n'));
        if (request.body().length > 0) {
            text.append('\n');
            boolean form = "application/x-www-form-urlencoded".equals(request.headers().get("Content-Type"));
            text.append(form ? decodedForm(request.bodyText()) : pretty(request.bodyText())).append('\n');
        }
        return text.toString();
    }

    private static String decodedForm(String body) {
        StringBuilder text = new StringBuilder();
        for (String pair : body.split("&")) {
            int equals = pair.indexOf('=');
            String value = URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            text.append(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8)).append(" = ")
                    .append(value.startsWith("{") || value.startsWith("[") ? pretty(value) : value).append('\n');
        }
        return text.toString().stripTrailing();
    }

    private static String pretty(String body) {
        try {
            return GoldenCase.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(GoldenCase.JSON.readTree(body));
        } catch (JsonProcessingException notJson) {
            return body;
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).replace("\r\n", "\n") : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
