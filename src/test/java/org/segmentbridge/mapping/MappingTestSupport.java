package org.segmentbridge.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** Mapping files written to a temporary mappings/ folder; JSON in tests uses ' for " to stay readable. */
abstract class MappingTestSupport {
    /** Events are parsed as the intake parses them: floats become doubles. */
    private static final ObjectMapper EVENTS = new ObjectMapper();
    /** Expected outputs keep their decimals exact so the text comparison is exact too. */
    private static final ObjectMapper EXPECTED = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    @TempDir
    Path temp;

    Path dir() {
        return temp.resolve("mappings");
    }

    void write(String file, String yaml) {
        try {
            Files.createDirectories(dir());
            Files.writeString(dir().resolve(file), yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Mapping mapping(String yaml) {
        write("m.yaml", yaml);
        return Mappings.load(dir()).get("m");
    }

    static JsonNode event(String json) {
        try {
            return EVENTS.readTree(json.replace('\'', '"'));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares JSON text, so key order, number form and node kind (string "1" vs number 1) all count. */
    static void assertJson(JsonNode actual, String expected) {
        try {
            assertThat(actual.toString()).isEqualTo(EXPECTED.readTree(expected.replace('\'', '"')).toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> problems(String yaml) {
        write("m.yaml", yaml);
        return problemsOfFolder();
    }

    List<String> problemsOfFolder() {
        MappingFileException e = catchThrowableOfType(MappingFileException.class, () -> Mappings.load(dir()));
        assertThat(e).as("loading should fail").isNotNull();
        assertThat(e.getMessage()).isEqualTo(String.join("\n", e.problems()));
        return e.problems();
    }

    String failure(Mapping mapping, String eventJson) {
        MappingException e = catchThrowableOfType(MappingException.class, () -> mapping.apply(event(eventJson)));
        assertThat(e).as("mapping should fail").isNotNull();
        return e.getMessage();
    }
}
