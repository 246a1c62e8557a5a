package org.segmentbridge.emarsys;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.emarsys.EngagementBackfill.BackfillException;
import org.segmentbridge.emarsys.EngagementBackfill.Window;

/**
 * The Emarsys calls of the engagement backfill: {@code POST /email/responses} starts a query for one response type
 * and window (Emarsys allows one a minute, so queries are paced by the backfill's clock), {@code GET
 * /email/responses/{id}} is polled until its result is ready, and {@code POST /contact/getdata} turns the contact
 * ids into emails. A passing fault is tried again; anything else stops the run with the window named.
 */
final class EmarsysResponses {

    /** Emarsys: "Within a minute, a customer can do only one request" to {@code /email/responses}. */
    static final Duration QUERY_INTERVAL = Duration.ofMinutes(1);
    /** Reply code of a query still being computed. */
    static final int NOT_READY = 202;
    static final int TOO_OFTEN = 6028;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUERY_ATTEMPTS = 3;
    private static final int GETDATA_BATCH = 1000;
    private static final String EMAIL_FIELD = "3";
    /** What the vendor metrics count these calls as. */
    private static final String PURPOSE = "backfill";

    private final BackfillSettings settings;
    private final DestinationSettings emarsys;
    private final Optional<EmarsysAuth> auth;
    private final EmarsysHttp http;
    private final BackfillClock clock;
    private Instant lastQuery;

    EmarsysResponses(BackfillSettings settings, DestinationSettings emarsys, Optional<EmarsysAuth> auth, EmarsysHttp http,
                     BackfillClock clock) {
        this.settings = settings;
        this.emarsys = emarsys;
        this.auth = auth;
        this.http = http;
        this.clock = clock;
    }

    /** The contacts who responded with this type in the window: the entries of the query's {@code data.contact_ids}. */
    JsonNode responses(BackfillSettings.ResponseType type, Window window) throws BackfillException {
        return results(query(type, window), type, window);
    }

    /** Starts Emarsys' query for one type and window: its id. */
    private String query(BackfillSettings.ResponseType type, Window window) throws BackfillException {
        String body = JSON.createObjectNode().put("type", type.name())
                .put("start_date", window.firstDay().toString()).put("end_date", window.lastDay().toString()).toString();
        String failure = "";
        for (int attempt = 1; attempt <= QUERY_ATTEMPTS; attempt++) {
            paceQuery();
            EmarsysHttp.Answer answer;
            try {
                answer = answerOf(http.exchange(PURPOSE, "POST", "/email/responses", body, emarsys, auth.orElseThrow()));
            } catch (TemporaryFailure e) {
                failure = e.getMessage();
                continue;
            }
            if (answer.ok()) {
                String id = answer.envelope().path("data").path("id").asText("");
                if (id.isEmpty()) {
                    throw new BackfillException("Emarsys started the " + type.name() + " query of " + window + " without an id");
                }
                return id;
            }
            failure = answer.describe();
            // Too often (another client of the account queried within the minute), rate limited or a passing fault:
            // the next attempt waits out another query interval first.
            boolean passing = answer.status() == 423 || answer.replyCode() == TOO_OFTEN || answer.passing();
            if (!passing) {
                break;
            }
        }
        throw new BackfillException("Emarsys refused the " + type.name() + " query of " + window + ": " + failure);
    }

    /** At most one query in any {@link #QUERY_INTERVAL}, timed by the backfill's clock. */
    private void paceQuery() throws BackfillException {
        if (lastQuery != null) {
            Duration wait = Duration.between(clock.now(), lastQuery.plus(QUERY_INTERVAL));
            if (!wait.isNegative() && !wait.isZero()) {
                clock.pause(wait);
            }
        }
        lastQuery = clock.now();
    }

    /** Polls a query until Emarsys has its result: the entries of {@code data.contact_ids}. */
    private JsonNode results(String queryId, BackfillSettings.ResponseType type, Window window) throws BackfillException {
        Instant deadline = clock.now().plus(settings.pollTimeout());
        String path = "/email/responses/" + queryId;
        while (true) {
            String waitingFor;
            try {
                EmarsysHttp.Answer answer = answerOf(http.exchange(PURPOSE, "GET", path, null, emarsys, auth.orElseThrow()));
                if (answer.ok()) {
                    JsonNode data = answer.envelope().path("data");
                    JsonNode ids = data.isArray() ? data : data.path("contact_ids");
                    return ids.isArray() ? ids : JSON.createArrayNode();
                }
                boolean passing = answer.replyCode() == NOT_READY || answer.passing();
                if (!passing) {
                    throw new BackfillException("Emarsys answered the " + type.name() + " query of " + window + " (GET "
                            + path + ") with " + answer.describe());
                }
                waitingFor = answer.describe();
            } catch (TemporaryFailure e) {
                waitingFor = e.getMessage();
            }
            if (!clock.now().isBefore(deadline)) {
                throw new BackfillException("the " + type.name() + " query of " + window + " was not ready after "
                        + settings.pollTimeout() + " (last: " + waitingFor + ")");
            }
            clock.pause(settings.pollEvery());
        }
    }

    /** Contact id → email, for the contacts Emarsys still has. */
    Map<String, String> emails(Set<String> contactIds) throws BackfillException {
        Map<String, String> emails = new HashMap<>();
        List<String> ids = new ArrayList<>(contactIds);
        for (int start = 0; start < ids.size(); start += GETDATA_BATCH) {
            ArrayNode keyValues = JSON.createArrayNode();
            ids.subList(start, Math.min(ids.size(), start + GETDATA_BATCH)).forEach(keyValues::add);
            ObjectNode body = JSON.createObjectNode().put("keyId", "id");
            body.set("keyValues", keyValues);
            body.putArray("fields").add(EMAIL_FIELD);
            JsonNode answer = getData(body.toString());
            for (JsonNode contact : answer.path("data").path("result")) {
                String email = contact.path(EMAIL_FIELD).asText("").trim();
                if (!email.isEmpty() && contact.hasNonNull("id")) {
                    emails.put(contact.get("id").asText(), email);
                }
            }
        }
        return emails;
    }

    private JsonNode getData(String body) throws BackfillException {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= QUERY_ATTEMPTS; attempt++) {
            try {
                return answerOf(http.send(PURPOSE, "POST", "/contact/getdata", body, emarsys, auth.orElseThrow()));
            } catch (TemporaryFailure e) {
                last = e;
                clock.pause(settings.pollEvery());
            } catch (IllegalStateException e) {
                throw new BackfillException(e.getMessage(), e);
            }
        }
        throw new BackfillException("Emarsys could not resolve contacts: " + last.getMessage(), last);
    }

    /** The backfill has its own thread: it waits for each call, which the transport's timeouts bound. */
    static <T> T answerOf(CompletableFuture<T> call) throws BackfillException {
        try {
            return call.get();
        } catch (ExecutionException e) {
            throw AwaitingLookup.failureOf(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackfillException("interrupted", e);
        }
    }
}
