package org.segmentbridge.emarsys;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.emarsys.EngagementBackfill.BackfillException;
import org.segmentbridge.privacy.SuppressionStore.State;

/**
 * The Emarsys calls of the opt-in feed, on Emarsys' contact-change export: {@code POST /contact/getchanges} starts an
 * export of the email (field 3) and opt-in (field 31) of every contact changed in the window by a form or the API,
 * {@code GET /export/{id}} is polled until it is ready, and {@code GET /export/{id}/data} is read page by page as CSV.
 * A rate limit or a fault on Emarsys' side is asked again after the wait Emarsys announced; anything else stops the
 * run with the window named.
 */
final class ContactChanges {

    /** Emarsys' own time zone: its export times are Vienna time, and so, the bridge takes it, are its dates. */
    static final ZoneId EMARSYS_ZONE = ZoneId.of("Europe/Vienna");
    static final String EMAIL_FIELD = "3";
    static final String OPT_IN_FIELD = "31";
    /** Field 31's values: 1 opted in, 2 opted out. */
    static final String OPTED_IN = "1";
    static final String OPTED_OUT = "2";
    /** Rows per data call: Emarsys pages an export's CSV with offset and limit. */
    static final int PAGE_ROWS = 10_000;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CsvMapper CSV = new CsvMapper();
    private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final int ATTEMPTS = 5;
    /** What the vendor metrics count these calls as. */
    private static final String PURPOSE = "optin-feed";

    private final OptInFeedSettings settings;
    private final DestinationSettings emarsys;
    private final EmarsysAuth auth;
    private final EmarsysHttp http;
    private final BackfillClock clock;

    ContactChanges(OptInFeedSettings settings, DestinationSettings emarsys, EmarsysAuth auth, EmarsysHttp http, BackfillClock clock) {
        this.settings = settings;
        this.emarsys = emarsys;
        this.auth = auth;
        this.http = http;
        this.clock = clock;
    }

    /**
     * What one run asks Emarsys for: the changes from {@code start} (the earliest moment they may have happened) to
     * {@code end}, as the export's {@code time_range}.
     */
    record Window(Instant start, Instant end, String from, String to) {

        /** Whole days in Emarsys' time zone (the default), or to the second (an account where support enabled it). */
        static Window of(Instant from, Instant to, OptInFeedSettings.TimeRange range) {
            if (range == OptInFeedSettings.TimeRange.DATETIME) {
                return new Window(from, to, DATETIME.format(from.atZone(EMARSYS_ZONE)), DATETIME.format(to.atZone(EMARSYS_ZONE)));
            }
            LocalDate first = LocalDate.ofInstant(from, EMARSYS_ZONE);
            LocalDate last = LocalDate.ofInstant(to, EMARSYS_ZONE);
            return new Window(first.atStartOfDay(EMARSYS_ZONE).toInstant(), to, first.toString(), last.toString());
        }

        @Override
        public String toString() {
            return from + ".." + to;
        }
    }

    /** A contact's opt-in as the export holds it now. */
    record Change(String email, State state) {
    }

    /** Starts the export of the window's changes: its id. */
    String start(Window window) throws BackfillException {
        ObjectNode body = JSON.createObjectNode().put("distribution_method", "local").put("origin", "all").put("origin_id", "0");
        body.putArray("time_range").add(window.from()).add(window.to());
        body.putArray("contact_fields").add(Integer.parseInt(EMAIL_FIELD)).add(Integer.parseInt(OPT_IN_FIELD));
        body.put("delimiter", ",").put("add_field_names_header", 0).put("language", "en");
        EmarsysHttp.Answer answer = call("POST", "/contact/getchanges", body.toString(), window);
        String id = answer.envelope() == null ? "" : answer.envelope().path("data").path("id").asText("");
        if (!answer.ok() || id.isEmpty()) {
            throw new BackfillException("Emarsys did not start the contact-change export of " + window + ": " + answer.describe());
        }
        return id;
    }

    /** Polls the export until Emarsys has its file. */
    void awaitReady(String exportId, Window window) throws BackfillException {
        Instant deadline = clock.now().plus(settings.pollTimeout());
        while (true) {
            EmarsysHttp.Answer answer = call("GET", "/export/" + exportId, null, window);
            String status = answer.envelope() == null ? "" : answer.envelope().path("data").path("status").asText("");
            if (!answer.ok()) {
                throw new BackfillException("Emarsys answered the status of export " + exportId + " (" + window + ") with "
                        + answer.describe());
            }
            switch (status) {
                case "ready", "done" -> {
                    return;
                }
                case "scheduled", "in progress" -> {
                    if (!clock.now().isBefore(deadline)) {
                        throw new BackfillException("export " + exportId + " of " + window + " was not ready after "
                                + settings.pollTimeout() + " (status " + status + ")");
                    }
                    clock.pause(settings.pollEvery());
                }
                default -> throw new BackfillException("Emarsys' export " + exportId + " of " + window + " ended with status '"
                        + status + "'");
            }
        }
    }

    /** The export's rows, page by page. */
    List<Change> read(String exportId, Window window) throws BackfillException {
        List<Change> changes = new ArrayList<>();
        for (int offset = 0; ; offset += PAGE_ROWS) {
            EmarsysHttp.Answer answer = call("GET", "/export/" + exportId + "/data?offset=" + offset + "&limit=" + PAGE_ROWS, null, window);
            if (answer.status() / 100 != 2 || answer.envelope() != null) {
                throw new BackfillException("Emarsys answered the data of export " + exportId + " (" + window + ") with "
                        + answer.describe());
            }
            int rows = parse(answer.body(), changes);
            if (rows < PAGE_ROWS) {
                return changes;
            }
        }
    }

    /**
     * Adds the CSV's changes; answers how many rows it had. The requested fields are the last columns, in the order
     * asked (Emarsys may put its own contact id first), so they are read from the end; a row without an email or with
     * an opt-in other than 1 or 2 (never set) says nothing about consent.
     */
    static int parse(String csv, List<Change> changes) throws BackfillException {
        int rows = 0;
        try (MappingIterator<List<String>> lines = CSV.readerForListOf(String.class)
                .with(CsvParser.Feature.WRAP_AS_ARRAY).with(CsvParser.Feature.SKIP_EMPTY_LINES).readValues(csv)) {
            while (lines.hasNext()) {
                List<String> columns = lines.next();
                rows++;
                if (columns.size() < 2) {
                    continue;
                }
                String email = columns.get(columns.size() - 2).trim();
                Optional<State> state = stateOf(columns.get(columns.size() - 1));
                if (!email.isEmpty() && state.isPresent()) {
                    changes.add(new Change(email, state.get()));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new BackfillException("the contact-change export is not CSV the bridge can read: " + e.getMessage(), e);
        }
        return rows;
    }

    /** 1 or 2 as the API sets them; an export in English may spell them out (True for opted in). */
    private static Optional<State> stateOf(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case OPTED_IN, "true" -> Optional.of(State.SUBSCRIBED);
            case OPTED_OUT, "false" -> Optional.of(State.UNSUBSCRIBED);
            default -> Optional.empty();
        };
    }

    /**
     * One call, asked again while Emarsys rate-limits it or fails on its side: after the wait Emarsys announced (the
     * transport holds every call of the credential until then as well), else after the poll interval.
     */
    private EmarsysHttp.Answer call(String method, String path, String body, Window window) throws BackfillException {
        String failure = "";
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Duration wait = settings.pollEvery();
            try {
                EmarsysHttp.Answer answer = EmarsysResponses.answerOf(http.exchange(PURPOSE, method, path, body, emarsys, auth));
                if (!answer.passing()) {
                    return answer;
                }
                failure = answer.describe();
                wait = answer.announcedWait().orElse(wait);
            } catch (TemporaryFailure e) {
                failure = e.getMessage();
            }
            if (attempt < ATTEMPTS) {
                clock.pause(wait);
            }
        }
        throw new BackfillException("Emarsys could not answer " + method + " " + path + " for " + window + " after "
                + ATTEMPTS + " attempts: " + failure);
    }
}
