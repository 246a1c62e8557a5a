package org.segmentbridge.emarsys;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * Reads Emarsys' envelope {@code {"replyCode":0,"replyText":"OK","data":{...}}}: replyCode 0 is success, per-item
 * failures inside a success are {@code data.errors} keyed by the item's external id ({@code {"a@b.com":{"2008":"No
 * contact found"}}}), replyCode 1000 means the batch was too large (split it), and 429/5xx are retried.
 */
final class EmarsysAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The batch exceeded the maximum batch size. */
    static final String BATCH_TOO_LARGE = "1000";

    private EmarsysAnswers() {
    }

    /**
     * @param externalId     the id Emarsys keys an item's errors by (the contact's key value)
     * @param harmlessErrors item error codes that mean the wanted state already holds (a delete of a contact that
     *                       does not exist), counted as delivered
     */
    static List<Verdict> read(VendorAnswer answer, List<Action.Item> items, Function<Action.Item, String> externalId,
                              Set<String> harmlessErrors) {
        JsonNode envelope = envelope(answer);
        if (envelope == null || answer.isRetryable()) {
            return Verdict.byStatus(answer, items.size());
        }
        String replyCode = envelope.path("replyCode").asText("");
        String replyText = envelope.path("replyText").asText("");
        if (BATCH_TOO_LARGE.equals(replyCode)) {
            return Verdict.all(items.size(), new Verdict.SplitBatch(answer.status(), "replyCode 1000: " + replyText));
        }
        if (!answer.isSuccess() || !"0".equals(replyCode)) {
            String message = "replyCode " + replyCode + ": " + replyText;
            return Verdict.all(items.size(), items.size() > 1
                    ? new Verdict.SplitBatch(answer.status(), message)
                    : new Verdict.Failed(answer.status(), replyCode, message));
        }
        JsonNode errors = envelope.path("data").path("errors");
        List<Verdict> verdicts = new ArrayList<>(items.size());
        for (Action.Item item : items) {
            JsonNode itemErrors = errors.path(externalId.apply(item));
            verdicts.add(itemErrors.isObject() && itemErrors.size() > 0
                    ? itemVerdict(answer.status(), itemErrors, harmlessErrors)
                    : Verdict.DELIVERED);
        }
        return verdicts;
    }

    private static Verdict itemVerdict(int status, JsonNode itemErrors, Set<String> harmlessErrors) {
        Iterator<Map.Entry<String, JsonNode>> first = itemErrors.fields();
        Map.Entry<String, JsonNode> error = first.next();
        if (harmlessErrors.contains(error.getKey())) {
            return Verdict.DELIVERED;
        }
        return new Verdict.Failed(status, error.getKey(), error.getValue().asText());
    }

    private static JsonNode envelope(VendorAnswer answer) {
        try {
            JsonNode body = JSON.readTree(answer.body());
            return body != null && body.has("replyCode") ? body : null;
        } catch (IOException notJson) {
            return null;
        }
    }
}
