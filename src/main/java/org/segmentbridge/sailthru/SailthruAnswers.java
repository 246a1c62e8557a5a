package org.segmentbridge.sailthru;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * Reads Sailthru's answers: a body with {@code error} and {@code errormsg} is a failure even under HTTP 200. Error 43
 * (too many requests this minute) and 9 (internal) are retried; authentication (3, 5), an invalid email (11) and the
 * rest are dead-lettered with Sailthru's code.
 */
final class SailthruAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> PASSING = Set.of("9", "43");

    private SailthruAnswers() {
    }

    static List<Verdict> read(VendorAnswer answer) {
        JsonNode body = body(answer);
        if (body != null && body.has("error")) {
            String code = body.path("error").asText();
            String message = "error " + code + ": " + body.path("errormsg").asText();
            return List.of(PASSING.contains(code) || answer.isRetryable()
                    ? new Verdict.Retry(Duration.ZERO, message)
                    : new Verdict.Failed(answer.status(), code, message));
        }
        return Verdict.byStatus(answer, 1);
    }

    private static JsonNode body(VendorAnswer answer) {
        try {
            JsonNode body = JSON.readTree(answer.body());
            return body != null && body.isObject() ? body : null;
        } catch (IOException notJson) {
            return null;
        }
    }
}
