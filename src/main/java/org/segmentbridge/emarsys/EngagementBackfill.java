package org.segmentbridge.emarsys;

import java.net.http.HttpClient;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.support.service.ServiceSupport;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.intake.Intake;
import org.segmentbridge.intake.VendorReports;
import org.segmentbridge.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emarsys reports opens, clicks, bounces and unsubscribes to no one: they are pulled. For each window of days since
 * the job's checkpoint, one {@code POST /email/responses} query per response type (Emarsys allows one a minute),
 * polled with {@code GET /email/responses/{id}} until ready, gives the contacts who responded in the window; their
 * emails come from {@code POST /contact/getdata}; each (type, contact, window) becomes one Segment Email spec track
 * with a messageId derived from it, stored for the {@code segment} destination through the same path as Sailthru's
 * postbacks. The checkpoint moves past a window only once all of its events are durably queued, so an interrupted
 * run resumes at the first window not queued and a re-run stores nothing twice.
 */
public final class EngagementBackfill extends ServiceSupport {

    public static final String BEAN = "emarsysBackfill";
    public static final String CLOCK_BEAN = "emarsysBackfillClock";
    /** The {@code receivedVia} of the stored events. */
    public static final String ENDPOINT = "emarsys-backfill";
    /** The checkpoint of the scheduled route; ranges run from the command line have their own. */
    static final String SCHEDULED_JOB = "emarsys";
    /** Emarsys: "Within a minute, a customer can do only one request" to {@code /email/responses}. */
    static final Duration QUERY_INTERVAL = Duration.ofMinutes(1);
    /** Reply code of a query still being computed. */
    static final int NOT_READY = 202;
    static final int NO_SUCH_TYPE = 6026;
    static final int TOO_OFTEN = 6028;

    private static final Logger LOG = LoggerFactory.getLogger(EngagementBackfill.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUERY_ATTEMPTS = 3;
    private static final int GETDATA_BATCH = 1000;
    private static final int STORE_BATCH = 500;
    private static final String EMAIL_FIELD = "3";
    private static final String UNSUBSCRIBED = "Unsubscribed";
    /** Campaign properties of Segment's Email spec, copied when Emarsys includes them in a response entry. */
    private static final List<String> CAMPAIGN_PROPERTIES =
            List.of("email_id", "email_subject", "campaign_id", "campaign_name", "link_id", "link_url");

    private final BackfillSettings settings;
    private final Optional<String> disabledBecause;
    private final DestinationSettings emarsys;
    private final Optional<EmarsysAuth> auth;
    private final EmarsysHttp http;
    private final Supplier<VendorReports> reports;
    private final BackfillCheckpoints checkpoints;
    private final BackfillClock clock;
    private final Set<String> unsupportedTypes = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean warnedSkipped = new AtomicBoolean();
    private Instant lastQuery;
    private volatile Thread running;
    private volatile boolean stopping;

    EngagementBackfill(BackfillSettings settings, Optional<String> disabledBecause, DestinationSettings emarsys,
                       Optional<EmarsysAuth> auth, EmarsysHttp http, Supplier<VendorReports> reports,
                       BackfillCheckpoints checkpoints, BackfillClock clock) {
        this.settings = settings;
        this.disabledBecause = disabledBecause;
        this.emarsys = emarsys;
        this.auth = auth;
        this.http = http;
        this.reports = reports;
        this.checkpoints = checkpoints;
        this.clock = clock;
    }

    /**
     * @param active     false in {@code check} and {@code try}: the bean exists for the route, but never runs
     * @param connectors the delivery engine's connectors: Emarsys' own auth is reused (one OAuth2 token) when it serves
     */
    public static EngagementBackfill create(boolean active, org.segmentbridge.SettingsReader reader,
                                            Map<String, org.segmentbridge.delivery.Connector> connectors,
                                            StateStore stateStore, Supplier<VendorReports> reports, BackfillClock clock) {
        BackfillSettings settings = BackfillSettings.from(reader);
        DestinationSettings emarsys = new DestinationSettings("emarsys", reader);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(emarsys.connectTimeout()).build();
        Optional<EmarsysAuth> auth = connectors.get("emarsys") instanceof EmarsysConnector connector
                ? connector.auth(emarsys)
                : EmarsysAuth.from(emarsys, client, Clock.systemUTC());
        Optional<String> disabled = !active ? Optional.of("the backfill runs only in a running bridge or from the backfill command")
                : auth.isEmpty() ? Optional.of("Emarsys has no credentials (EMARSYS_API_USER and EMARSYS_API_SECRET, or "
                        + "EMARSYS_CLIENT_ID and EMARSYS_CLIENT_SECRET with EMARSYS_AUTH=oauth2)")
                : Optional.empty();
        return new EngagementBackfill(settings, disabled, emarsys, auth, new EmarsysHttp(client), memoize(reports),
                new BackfillCheckpoints(stateStore), clock);
    }

    /** Why a run would do nothing, e.g. no credentials; empty when it would run. */
    public Optional<String> disabledBecause() {
        return disabledBecause;
    }

    public Duration window() {
        return settings.window();
    }

    public int typesPerWindow() {
        return (int) settings.types().stream().filter(type -> !unsupportedTypes.contains(type.name())).count();
    }

    /** The scheduled route's step: every complete, settled window since the checkpoint. Never throws. */
    public void runScheduled() {
        if (disabledBecause.isPresent()) {
            if (warnedSkipped.compareAndSet(false, true)) {
                LOG.info("Emarsys engagement backfill skipped: {}", disabledBecause.get());
            }
            return;
        }
        if (!reports.get().kept()) {
            return;
        }
        try {
            Instant now = clock.now();
            Instant until = floor(now.minus(settings.settle()));
            Instant from = checkpoints.doneUntil(SCHEDULED_JOB).orElse(floor(now.minus(settings.lookback())));
            if (!from.isBefore(until)) {
                LOG.debug("Emarsys engagement backfill: nothing due (done until {})", from);
                return;
            }
            Summary summary = run(SCHEDULED_JOB, from, from, until, Progress.LOG);
            LOG.info("Emarsys engagement backfill: {} window(s) up to {}: {} records read, {} events queued ({} duplicates, "
                            + "{} contacts without an email)", summary.windowsRun(), until, summary.records(), summary.queued(),
                    summary.duplicates(), summary.withoutEmail());
        } catch (BackfillException e) {
            LOG.warn("Emarsys engagement backfill stopped: {}; the next run resumes at the first window not queued", e.getMessage());
        } catch (SQLException e) {
            LOG.warn("Emarsys engagement backfill could not read its checkpoint: {}", e.getMessage());
        }
    }

    /**
     * A date range, from the command line: windows already queued by an earlier run of the same range are skipped.
     *
     * @throws BackfillException when a window cannot be read or queued; its checkpoint is where the next run resumes
     */
    public Summary runRange(Instant from, Instant to, Progress progress) throws BackfillException {
        if (disabledBecause.isPresent()) {
            throw new BackfillException(disabledBecause.get());
        }
        if (!reports.get().kept()) {
            throw new BackfillException("'segment' is not in bridge.destinations: nothing would send the events on to Segment");
        }
        if (to.isAfter(clock.now())) {
            throw new BackfillException("the range ends at " + to + ", after now: Emarsys cannot report responses that have not happened");
        }
        String job = "emarsys " + from + ".." + to;
        try {
            Instant resumeAt = checkpoints.doneUntil(job).orElse(from);
            return run(job, from, resumeAt, to, progress);
        } catch (SQLException e) {
            throw new BackfillException("the checkpoint of " + job + " cannot be read: " + e.getMessage(), e);
        }
    }

    private Summary run(String job, Instant from, Instant resumeAt, Instant to, Progress progress)
            throws BackfillException, SQLException {
        List<Window> done = windows(from, resumeAt.isAfter(to) ? to : resumeAt);
        List<Window> todo = windows(resumeAt, to);
        Instant started = clock.now();
        Totals totals = new Totals(done.size() + todo.size(), done.size());
        progress.started(from, to, totals, typesPerWindow());
        running = Thread.currentThread();
        try {
            for (Window window : todo) {
                if (stopping) {
                    throw new BackfillException("the bridge is stopping");
                }
                WindowResult result = backfill(window);
                checkpoints.save(job, window.end(), Instant.now());
                totals.add(result);
                Duration elapsed = Duration.between(started, clock.now());
                progress.windowDone(window, result, totals, elapsed, eta(elapsed, totals));
            }
        } finally {
            running = null;
        }
        return totals.summary(Duration.between(started, clock.now()));
    }

    private static Optional<Duration> eta(Duration elapsed, Totals totals) {
        if (totals.windowsRun == 0) {
            return Optional.empty();
        }
        return Optional.of(elapsed.dividedBy(totals.windowsRun).multipliedBy(totals.windows - totals.windowsDone));
    }

    /** One window: every type's query read, contacts resolved, events stored. */
    private WindowResult backfill(Window window) throws BackfillException {
        Map<String, Record> records = new LinkedHashMap<>();
        for (BackfillSettings.ResponseType type : settings.types()) {
            if (unsupportedTypes.contains(type.name())) {
                continue;
            }
            Optional<String> queryId = query(type, window);
            if (queryId.isEmpty()) {
                continue;
            }
            for (JsonNode entry : results(queryId.get(), type, window)) {
                Record record = Record.of(type, entry, window);
                if (record != null) {
                    records.putIfAbsent(record.id(), record);
                }
            }
        }
        Map<String, String> emails = emails(records.values().stream().map(Record::contactId).collect(
                java.util.stream.Collectors.toCollection(LinkedHashSet::new)));
        // A record's events (an unsubscribe's identify and track) stay in one store call: they are one consent change.
        List<List<ObjectNode>> batches = new ArrayList<>();
        batches.add(new ArrayList<>());
        int withoutEmail = 0;
        for (Record record : records.values()) {
            String email = emails.get(record.contactId());
            if (email == null) {
                withoutEmail++;
                continue;
            }
            if (batches.get(batches.size() - 1).size() >= STORE_BATCH) {
                batches.add(new ArrayList<>());
            }
            batches.get(batches.size() - 1).addAll(record.events(reports.get(), email));
        }
        int stored = 0;
        int duplicates = 0;
        for (List<ObjectNode> batch : batches) {
            if (batch.isEmpty()) {
                continue;
            }
            try {
                Intake.Outcome outcome = reports.get().store(batch, Instant.now());
                stored += outcome.stored();
                duplicates += outcome.duplicates();
            } catch (SQLException | RuntimeException e) {
                throw new BackfillException("the events of " + window + " could not be queued (" + e.getMessage()
                        + "); its checkpoint was not moved", e);
            }
        }
        return new WindowResult(records.size(), stored, duplicates, withoutEmail);
    }

    /** Starts Emarsys' query for one type and window; empty when Emarsys has no such type. */
    private Optional<String> query(BackfillSettings.ResponseType type, Window window) throws BackfillException {
        String body = JSON.createObjectNode().put("type", type.name())
                .put("start_date", window.firstDay().toString()).put("end_date", window.lastDay().toString()).toString();
        String failure = "";
        for (int attempt = 1; attempt <= QUERY_ATTEMPTS; attempt++) {
            paceQuery();
            EmarsysHttp.Answer answer;
            try {
                answer = http.exchange("POST", "/email/responses", body, emarsys, auth.orElseThrow());
            } catch (TemporaryFailure e) {
                failure = e.getMessage();
                continue;
            }
            if (answer.ok()) {
                String id = answer.envelope().path("data").path("id").asText("");
                if (id.isEmpty()) {
                    throw new BackfillException("Emarsys started the " + type.name() + " query of " + window + " without an id");
                }
                return Optional.of(id);
            }
            if (answer.replyCode() == NO_SUCH_TYPE) {
                unsupportedTypes.add(type.name());
                LOG.warn("Emarsys has no response type '{}' ({}): it is not asked for again until the bridge restarts; "
                        + "remove it from bridge.emarsys.backfill.types", type.name(), answer.describe());
                return Optional.empty();
            }
            failure = answer.describe();
            // Too often (another client of the account queried within the minute), rate limited or a passing fault:
            // the next attempt waits out another query interval first.
            boolean passing = answer.status() == 423 || answer.replyCode() == TOO_OFTEN || answer.status() == 429
                    || answer.status() >= 500;
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
                sleep(wait);
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
                EmarsysHttp.Answer answer = http.exchange("GET", path, null, emarsys, auth.orElseThrow());
                if (answer.ok()) {
                    JsonNode data = answer.envelope().path("data");
                    JsonNode ids = data.isArray() ? data : data.path("contact_ids");
                    return ids.isArray() ? ids : JSON.createArrayNode();
                }
                boolean passing = answer.replyCode() == NOT_READY || answer.status() == 429 || answer.status() >= 500;
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
            sleep(settings.pollEvery());
        }
    }

    /** Contact id → email, for the contacts Emarsys still has. */
    private Map<String, String> emails(Set<String> contactIds) throws BackfillException {
        Map<String, String> emails = new java.util.HashMap<>();
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
                return http.send("POST", "/contact/getdata", body, emarsys, auth.orElseThrow());
            } catch (TemporaryFailure e) {
                last = e;
                sleep(settings.pollEvery());
            } catch (IllegalStateException e) {
                throw new BackfillException(e.getMessage(), e);
            }
        }
        throw new BackfillException("Emarsys could not resolve contacts: " + last.getMessage(), last);
    }

    private void sleep(Duration duration) throws BackfillException {
        try {
            clock.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackfillException("interrupted", e);
        }
    }

    /** Window boundaries on a grid of {@code window} from the epoch, so every run cuts the same windows. */
    List<Window> windows(Instant from, Instant to) {
        List<Window> windows = new ArrayList<>();
        Instant start = from;
        while (start.isBefore(to)) {
            Instant next = floor(start).plus(settings.window());
            Instant end = next.isAfter(to) ? to : next;
            windows.add(new Window(start, end));
            start = end;
        }
        return windows;
    }

    private Instant floor(Instant instant) {
        long size = settings.window().toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(instant.toEpochMilli(), size) * size);
    }

    @Override
    protected void doStop() {
        stopping = true;
        // A run may be waiting out the query interval: let it end now; its current window stays unqueued.
        Thread thread = running;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private static <T> Supplier<T> memoize(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }

    /** Days {@code [start, end)} in UTC. */
    public record Window(Instant start, Instant end) {

        LocalDate firstDay() {
            return LocalDate.ofInstant(start, ZoneOffset.UTC);
        }

        /** Emarsys' end_date is taken as inclusive: the last day the window covers. */
        LocalDate lastDay() {
            return LocalDate.ofInstant(end.minusMillis(1), ZoneOffset.UTC);
        }

        @Override
        public String toString() {
            return firstDay().equals(lastDay()) ? firstDay().toString() : firstDay() + ".." + lastDay();
        }
    }

    /** One contact's response of one type in one window (per campaign when Emarsys names it). */
    private record Record(BackfillSettings.ResponseType type, String contactId, ObjectNode campaign, Window window) {

        static Record of(BackfillSettings.ResponseType type, JsonNode entry, Window window) {
            ObjectNode campaign = JSON.createObjectNode();
            String contactId;
            if (entry.isObject()) {
                contactId = entry.path("contact_id").asText(entry.path("id").asText(""));
                for (String property : CAMPAIGN_PROPERTIES) {
                    JsonNode value = entry.get(property);
                    if (value != null && !value.isNull() && !value.asText().isEmpty()) {
                        campaign.set(property, value);
                    }
                }
            } else {
                contactId = entry.asText("");
            }
            return contactId.isBlank() ? null : new Record(type, contactId.trim(), campaign, window);
        }

        String id() {
            return String.join("\n", type.name(), contactId, campaign.path("email_id").asText(""),
                    window.firstDay().toString(), window.lastDay().toString());
        }

        /** The record's track; an unsubscribe also as the identify that sets the trait, as Sailthru's and Iterable's are. */
        List<ObjectNode> events(VendorReports reports, String email) {
            ObjectNode properties = JSON.createObjectNode();
            type.properties().forEach(properties::put);
            properties.setAll(campaign);
            properties.put("emarsys_contact_id", contactId);
            properties.put("emarsys_response_type", type.name());
            properties.put("window_start", window.start().toString());
            properties.put("window_end", window.end().toString());
            VendorReports.Recipient recipient = reports.recipient(email, window.start(),
                    event -> VendorReports.messageId("emarsys", "emarsys", id(), event));
            ObjectNode track = recipient.track(type.event(), properties);
            return UNSUBSCRIBED.equals(type.event())
                    ? List.of(recipient.identify(java.util.Map.of("unsubscribed", true)), track)
                    : List.of(track);
        }
    }

    public record WindowResult(int records, int queued, int duplicates, int withoutEmail) {
    }

    /** A run's figures so far; {@code windowsDone} counts windows queued by earlier runs too. */
    public static final class Totals {

        private final int windows;
        private int windowsDone;
        private int windowsRun;
        private long records;
        private long queued;
        private long duplicates;
        private long withoutEmail;

        Totals(int windows, int windowsDone) {
            this.windows = windows;
            this.windowsDone = windowsDone;
        }

        void add(WindowResult result) {
            windowsDone++;
            windowsRun++;
            records += result.records();
            queued += result.queued();
            duplicates += result.duplicates();
            withoutEmail += result.withoutEmail();
        }

        public int windows() {
            return windows;
        }

        public int windowsDone() {
            return windowsDone;
        }

        public int windowsRun() {
            return windowsRun;
        }

        public long records() {
            return records;
        }

        public long queued() {
            return queued;
        }

        Summary summary(Duration elapsed) {
            return new Summary(windows, windowsDone, windowsRun, records, queued, duplicates, withoutEmail, elapsed);
        }
    }

    public record Summary(int windows, int windowsDone, int windowsRun, long records, long queued, long duplicates,
                          long withoutEmail, Duration elapsed) {
    }

    /** What a run reports as it goes (the command line prints it; the scheduled route logs it). */
    public interface Progress {

        void started(Instant from, Instant to, Totals totals, int typesPerWindow);

        void windowDone(Window window, WindowResult result, Totals totals, Duration elapsed, Optional<Duration> eta);

        Progress LOG = new Progress() {
            private final Logger log = LoggerFactory.getLogger(EngagementBackfill.class);

            @Override
            public void started(Instant from, Instant to, Totals totals, int typesPerWindow) {
                log.info("Emarsys engagement backfill: {} window(s) from {} to {}", totals.windows() - totals.windowsDone(), from, to);
            }

            @Override
            public void windowDone(Window window, WindowResult result, Totals totals, Duration elapsed, Optional<Duration> eta) {
                log.info("Emarsys engagement backfill: {} queued: {} records, {} events ({} duplicates, {} without an email)",
                        window, result.records(), result.queued(), result.duplicates(), result.withoutEmail());
            }
        };
    }

    /** A run stopped; the windows before the one named are queued and checkpointed. */
    public static final class BackfillException extends Exception {

        public BackfillException(String message) {
            super(message);
        }

        public BackfillException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
