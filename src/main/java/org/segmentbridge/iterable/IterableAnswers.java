package org.segmentbridge.iterable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * Reads Iterable's answers. Single calls: the envelope {@code code} ({@code Success}, or the failure's name);
 * {@code RateLimitExceeded} is retried, {@code ForgottenUserError} skipped (the person was erased on purpose).
 * Bulk calls: {@code failedUpdates.*}, {@code invalidEmails}, {@code invalidUserIds} and {@code disallowedEventNames}
 * name exactly the users and events that failed; the rest of the batch counts as delivered. {@code BatchTooLarge}
 * splits the batch.
 */
final class IterableAnswers {

    private IterableAnswers() {
    }

    static List<Verdict> read(VendorAnswer answer, List<Action.Item> items) {
        JsonNode body = body(answer);
        String code = body == null ? "" : body.path("code").asText("");
        String message = body == null ? "" : body.path("msg").asText("");
        if ("RateLimitExceeded".equals(code) || answer.isRetryable()) {
            return Verdict.all(items.size(), new Verdict.Retry(answer.retryAfter(java.time.Instant.now()).orElse(Duration.ZERO),
                    "HTTP " + answer.status() + (code.isEmpty() ? "" : " " + code) + (message.isEmpty() ? "" : ": " + message)));
        }
        if ("BatchTooLarge".equals(code)) {
            return Verdict.all(items.size(), new Verdict.SplitBatch(answer.status(), code + ": " + message));
        }
        if ("ForgottenUserError".equals(code)) {
            return Verdict.all(items.size(), new Verdict.Skipped("the user was forgotten (GDPR) in Iterable"));
        }
        if (!answer.isSuccess() || !(code.isEmpty() || "Success".equals(code))) {
            String reason = (code.isEmpty() ? "HTTP " + answer.status() : code) + (message.isEmpty() ? "" : ": " + message);
            return Verdict.all(items.size(), items.size() > 1
                    ? new Verdict.SplitBatch(answer.status(), reason)
                    : new Verdict.Failed(answer.status(), code.isEmpty() ? null : code, reason));
        }
        return perItem(answer.status(), body, items);
    }

    /** Bulk answers name the users and event names that failed; everything else in the batch was taken. */
    private static List<Verdict> perItem(int status, JsonNode body, List<Action.Item> items) {
        Map<String, String> failedUsers = new HashMap<>();
        if (body != null) {
            collect(failedUsers, body.path("failedUpdates"));
            for (String list : new String[] {"invalidEmails", "invalidUserIds"}) {
                body.path(list).forEach(id -> failedUsers.put(id.asText(), list));
            }
        }
        List<String> disallowed = new ArrayList<>();
        if (body != null) {
            body.path("disallowedEventNames").forEach(name -> disallowed.add(name.asText()));
        }
        List<Verdict> verdicts = new ArrayList<>(items.size());
        for (Action.Item item : items) {
            String id = IterableConnector.identifierOf(item.payload());
            String reason = failedUsers.get(id);
            String eventName = item.payload().path("eventName").asText(null);
            if (eventName != null && disallowed.contains(eventName)) {
                verdicts.add(new Verdict.Failed(status, "disallowedEventNames", "Iterable does not allow the event name '" + eventName + "'"));
            } else if (reason != null && reason.startsWith("forgotten")) {
                verdicts.add(new Verdict.Skipped("the user was forgotten (GDPR) in Iterable (" + reason + ")"));
            } else if (reason != null) {
                verdicts.add(new Verdict.Failed(status, reason, "Iterable rejected " + id + " (" + reason + ")"));
            } else {
                verdicts.add(Verdict.DELIVERED);
            }
        }
        return verdicts;
    }

    private static void collect(Map<String, String> failed, JsonNode failedUpdates) {
        for (Iterator<Map.Entry<String, JsonNode>> it = failedUpdates.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> reason = it.next();
            reason.getValue().forEach(id -> failed.put(id.asText(), reason.getKey()));
        }
    }

    private static JsonNode body(VendorAnswer answer) {
        try {
            JsonNode body = IterableConnector.JSON.readTree(answer.body());
            return body != null && body.isObject() ? body : null;
        } catch (IOException notJson) {
            return null;
        }
    }
}
