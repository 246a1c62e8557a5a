package org.segmentbridge.bench;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.HdrHistogram.Histogram;

/**
 * Fake Emarsys, Sailthru, Iterable and Segment APIs on loopback. Each enforces its rate limits the strict way (at most N
 * requests in <em>any</em> window of the period, counted when a request arrives; over that it answers 429) and
 * records, per endpoint and credential, when each accepted request arrived, how many items (contacts, users, events)
 * it carried, the 429s it answered, and the intake-to-here latency of every item stamped with {@code bench_sent_us} (or
 * whose person's id carries {@code sent<epoch micros>}, for the vendors whose mappings carry no custom field).
 * Each vendor is one HttpServer, so one event-loop thread owns its limiter state.
 */
final class FakeVendors {

    static final String STAMP = "bench_sent_us";
    /** The due time in a person's id ({@link Events#sentPerson}), which every vendor's request names in some form. */
    private static final java.util.regex.Pattern SENT_IN_ID = java.util.regex.Pattern.compile("sent(\\d{13,17})");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Emarsys' external events the shipped routes name, with the ids GET /event answers. */
    static final Map<String, Integer> EMARSYS_EVENTS = Map.of("signed_up", 1001, "checkout_started", 1002,
            "premium_product_viewed", 1003, "order_completed", 1004, "vip_entered", 1005);

    /**
     * Limits, per second: Emarsys per API user (all calls), Sailthru and Iterable per credential and endpoint, Segment
     * per write key.
     */
    record Limits(int emarsysPerUser, int sailthruUser, int sailthruEvent, int iterableUserUpdate, int iterableTrack,
                  int iterableBulkUpdate, int iterableTrackBulk, int segment) {
        /** Fakes that never answer 429: what the bridge does when no vendor limits it. */
        static final Limits NONE = new Limits(1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000);

        Map<String, Integer> asMap() {
            Map<String, Integer> limits = new LinkedHashMap<>();
            limits.put("emarsys (any call, per API user)", emarsysPerUser);
            limits.put("sailthru POST /user", sailthruUser);
            limits.put("sailthru POST /event", sailthruEvent);
            limits.put("iterable POST /api/users/update", iterableUserUpdate);
            limits.put("iterable POST /api/events/track", iterableTrack);
            limits.put("iterable POST /api/users/bulkUpdate", iterableBulkUpdate);
            limits.put("iterable POST /api/events/trackBulk", iterableTrackBulk);
            limits.put("segment POST /v1/batch", segment);
            return limits;
        }
    }

    private final Vertx vertx;
    private final Limits limits;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    int emarsysPort;
    int sailthruPort;
    int iterablePort;
    int segmentPort;

    FakeVendors(Vertx vertx, Limits limits) {
        this.vertx = vertx;
        this.limits = limits;
    }

    void start() throws Exception {
        emarsysPort = listen(this::emarsys);
        sailthruPort = listen(this::sailthru);
        iterablePort = listen(this::iterable);
        segmentPort = listen(this::segment);
    }

    private int listen(Consumer<HttpServerRequest> handler) throws Exception {
        HttpServer server = vertx.createHttpServer().requestHandler(handler::accept)
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
        return server.actualPort();
    }

    /** Forgets what was recorded (not the limiters' windows: the vendor's clock does not reset). */
    void reset() {
        endpoints.clear();
    }

    Map<String, Endpoint> endpoints() {
        return endpoints;
    }

    Endpoint endpoint(String name) {
        return endpoints.computeIfAbsent(name, Endpoint::new);
    }

    // ---- Emarsys Core API v2 ------------------------------------------------------------------------------------

    private void emarsys(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            String wsse = request.getHeader("X-WSSE");
            if (wsse == null || !wsse.contains("PasswordDigest=")) {
                reply(request, 401, "{\"replyCode\":1,\"replyText\":\"Unauthorized\"}");
                return;
            }
            String user = between(wsse, "Username=\"", "\"");
            String path = request.path().replaceFirst("^/api/v2", "");
            String name = "emarsys " + request.method() + " " + (path.matches("/event/\\d+/trigger") ? "/event/{id}/trigger" : path);
            if (!allowed("emarsys:" + user, limits.emarsysPerUser(), name + " [" + user + "]")) {
                reply(request, 429, "{\"replyCode\":429,\"replyText\":\"Too Many Requests\"}");
                return;
            }
            JsonNode json = parse(body);
            String label = name + " [" + user + "]";
            switch (name) {
                case "emarsys GET /field" -> reply(request, 200, "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":"
                        + "[{\"id\":1,\"name\":\"First Name\"},{\"id\":2,\"name\":\"Last Name\"},{\"id\":3,\"name\":\"Email\"}]}");
                case "emarsys GET /event" -> {
                    StringBuilder data = new StringBuilder();
                    EMARSYS_EVENTS.forEach((event, id) -> data.append(data.length() == 0 ? "" : ",")
                            .append("{\"id\":").append(id).append(",\"name\":\"").append(event).append("\"}"));
                    reply(request, 200, "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":[" + data + "]}");
                }
                case "emarsys PUT /contact/" -> {
                    JsonNode contacts = json.path("contacts");
                    record(label, contacts.size(), contacts, item -> item.path(STAMP));
                    reply(request, 200, "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"ids\":[]}}");
                }
                case "emarsys POST /event/{id}/trigger" -> {
                    JsonNode contacts = json.has("contacts") ? json.get("contacts") : JSON.createArrayNode().add(json);
                    record(label, contacts.size(), contacts, item -> item.path("data").path("global").path(STAMP));
                    reply(request, 200, "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{}}");
                }
                default -> {
                    record(label, 1, null, null);
                    reply(request, 200, "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{}}");
                }
            }
        });
    }

    // ---- Sailthru -----------------------------------------------------------------------------------------------

    private void sailthru(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            Map<String, String> params = form(request.method().name().equals("POST") ? body.toString() : request.query());
            String key = params.getOrDefault("api_key", "");
            if (key.isEmpty() || !params.containsKey("sig")) {
                reply(request, 401, "{\"error\":5,\"errormsg\":\"Authentication failed\"}");
                return;
            }
            String name = "sailthru " + request.method() + " " + request.path();
            int limit = switch (name) {
                case "sailthru POST /user" -> limits.sailthruUser();
                case "sailthru POST /event" -> limits.sailthruEvent();
                default -> 40;
            };
            String label = name + " [" + key + "]";
            if (!allowed("sailthru:" + key + ":" + name, limit, label)) {
                reply(request, 429, "{\"error\":43,\"errormsg\":\"Too many requests\"}");
                return;
            }
            JsonNode json = parse(Buffer.buffer(params.getOrDefault("json", "{}")));
            record(label, 1, JSON.createArrayNode().add(json), item -> item.path("vars").path(STAMP));
            reply(request, 200, "{\"ok\":true}");
        });
    }

    // ---- Iterable -----------------------------------------------------------------------------------------------

    private void iterable(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            String key = request.getHeader("Api-Key");
            if (key == null || key.isEmpty()) {
                reply(request, 401, "{\"msg\":\"Invalid API key\",\"code\":\"BadApiKey\",\"params\":null}");
                return;
            }
            String name = "iterable " + request.method() + " " + request.path();
            int limit = switch (name) {
                case "iterable POST /api/users/update" -> limits.iterableUserUpdate();
                case "iterable POST /api/events/track" -> limits.iterableTrack();
                case "iterable POST /api/users/bulkUpdate" -> limits.iterableBulkUpdate();
                case "iterable POST /api/events/trackBulk" -> limits.iterableTrackBulk();
                default -> 100;
            };
            String label = name + " [" + key + "]";
            if (!allowed("iterable:" + key + ":" + name, limit, label)) {
                reply(request, 429, "{\"msg\":\"Rate limit exceeded\",\"code\":\"RateLimitExceeded\",\"params\":null}");
                return;
            }
            JsonNode json = parse(body);
            switch (name) {
                case "iterable POST /api/users/bulkUpdate" -> {
                    record(label, json.path("users").size(), json.path("users"), item -> item.path("dataFields").path(STAMP));
                    reply(request, 200, "{\"successCount\":" + json.path("users").size()
                            + ",\"failCount\":0,\"invalidEmails\":[],\"invalidUserIds\":[],\"failedUpdates\":{}}");
                }
                case "iterable POST /api/events/trackBulk" -> {
                    record(label, json.path("events").size(), json.path("events"), item -> item.path("dataFields").path(STAMP));
                    reply(request, 200, "{\"successCount\":" + json.path("events").size()
                            + ",\"failCount\":0,\"invalidEmails\":[],\"invalidUserIds\":[],\"disallowedEventNames\":[],\"failedUpdates\":{}}");
                }
                default -> {
                    record(label, 1, JSON.createArrayNode().add(json), item -> item.path("dataFields").path(STAMP));
                    reply(request, 200, "{\"msg\":\"\",\"code\":\"Success\",\"params\":null}");
                }
            }
        });
    }

    // ---- Segment (the back-flow destination's Tracking API) ------------------------------------------------------

    private void segment(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            String authorization = request.getHeader("Authorization");
            if (authorization == null || !authorization.startsWith("Basic ")) {
                reply(request, 401, "{\"success\":false}");
                return;
            }
            String key = new String(java.util.Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8)
                    .replaceFirst(":$", "");
            String label = "segment " + request.method() + " " + request.path() + " [" + key + "]";
            if (!allowed("segment:" + key, limits.segment(), label)) {
                reply(request, 429, "{\"success\":false}");
                return;
            }
            JsonNode batch = parse(body).path("batch");
            record(label, batch.size(), batch, item -> item.path("properties").has(STAMP) ? item.path("properties").path(STAMP)
                    : item.path("traits").path(STAMP));
            reply(request, 200, "{\"success\":true}");
        });
    }

    // ---- shared -------------------------------------------------------------------------------------------------

    private boolean allowed(String scope, int perSecond, String label) {
        Window window = windows.computeIfAbsent(scope, any -> new Window(perSecond, 1_000_000_000L));
        if (window.tryAcquire(System.nanoTime())) {
            return true;
        }
        endpoint(label).rejected();
        return false;
    }

    private void record(String label, int items, JsonNode list, java.util.function.Function<JsonNode, JsonNode> stampOf) {
        long nowMicros = epochMicros();
        List<Long> latencies = new ArrayList<>();
        if (list != null && stampOf != null) {
            for (JsonNode item : list) {
                JsonNode stamp = stampOf.apply(item);
                if (stamp.canConvertToLong()) {
                    latencies.add(nowMicros - stamp.asLong());
                } else {
                    java.util.regex.Matcher sent = SENT_IN_ID.matcher(item.toString());
                    if (sent.find()) {
                        latencies.add(nowMicros - Long.parseLong(sent.group(1)));
                    }
                }
            }
        }
        endpoint(label).accepted(System.nanoTime(), items, nowMicros, latencies);
    }

    static long epochMicros() {
        Instant now = Instant.now();
        return ChronoUnit.MICROS.between(Instant.EPOCH, now);
    }

    private static void reply(HttpServerRequest request, int status, String body) {
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
    }

    private static JsonNode parse(Buffer body) {
        try {
            return body.length() == 0 ? JSON.createObjectNode() : JSON.readTree(body.getBytes());
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    private static Map<String, String> form(String encoded) {
        Map<String, String> params = new LinkedHashMap<>();
        if (encoded == null || encoded.isEmpty()) {
            return params;
        }
        for (String pair : encoded.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                params.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        if (from < 0) {
            return "";
        }
        from += start.length();
        int to = text.indexOf(end, from);
        return to < 0 ? "" : text.substring(from, to);
    }

    /** At most {@code limit} accepted requests in any window of {@code periodNanos}, by arrival time. */
    static final class Window {
        private final int limit;
        private final long periodNanos;
        private final ArrayDeque<Long> accepted = new ArrayDeque<>();

        Window(int limit, long periodNanos) {
            this.limit = limit;
            this.periodNanos = periodNanos;
        }

        synchronized boolean tryAcquire(long now) {
            while (!accepted.isEmpty() && now - accepted.peekFirst() >= periodNanos) {
                accepted.pollFirst();
            }
            if (accepted.size() >= limit) {
                return false;
            }
            accepted.addLast(now);
            return true;
        }
    }

    /** What one endpoint (and credential) received. */
    static final class Endpoint {
        final String name;
        private long[] times = new long[1024];
        private int[] items = new int[1024];
        private int requests;
        private long itemTotal;
        private long rejected;
        private final Histogram latencyMicros = new Histogram(3_600_000_000L, 3);
        /** The slowest item's latency (µs) by the second (since the epoch) its event was due. */
        private final java.util.TreeMap<Long, Long> slowestByDueSecond = new java.util.TreeMap<>();

        Endpoint(String name) {
            this.name = name;
        }

        /** A request that arrived at {@code nanoTime} ({@code arrivedMicros} since the epoch) with its items' latencies. */
        synchronized void accepted(long nanoTime, int count, long arrivedMicros, List<Long> latencies) {
            if (requests == times.length) {
                times = Arrays.copyOf(times, requests * 2);
                items = Arrays.copyOf(items, requests * 2);
            }
            times[requests] = nanoTime;
            items[requests] = count;
            requests++;
            itemTotal += count;
            for (long latency : latencies) {
                latencyMicros.recordValue(Math.max(0, Math.min(latency, 3_600_000_000L)));
                slowestByDueSecond.merge((arrivedMicros - latency) / 1_000_000, latency, Math::max);
            }
        }

        synchronized java.util.SortedMap<Long, Long> slowestByDueSecond() {
            return new java.util.TreeMap<>(slowestByDueSecond);
        }

        synchronized void rejected() {
            rejected++;
        }

        synchronized int requests() {
            return requests;
        }

        synchronized long items() {
            return itemTotal;
        }

        synchronized long rejected429() {
            return rejected;
        }

        synchronized Histogram latency() {
            return latencyMicros.copy();
        }

        /** The requests by which {@code from} and {@code to} of all items had arrived (their indices). */
        private record Stretch(int low, int high) {
        }

        /** The stretch between the fractions {@code from} and {@code to} of all items; null with too few requests. */
        private Stretch stretch(double from, double to) {
            if (requests < 3 || itemTotal == 0) {
                return null;
            }
            long lowItems = (long) Math.ceil(itemTotal * from);
            long highItems = (long) Math.floor(itemTotal * to);
            int low = -1;
            int high = -1;
            long cumulative = 0;
            for (int i = 0; i < requests && high < 0; i++) {
                cumulative += items[i];
                if (low < 0 && cumulative >= lowItems) {
                    low = i;
                }
                if (cumulative >= highItems) {
                    high = i;
                }
            }
            return low < 0 || high < 0 ? null : new Stretch(low, high);
        }

        /**
         * The steady delivery rate in items per second: items received between the moment {@code from} of all items
         * had arrived and the moment {@code to} had (fractions), over the time between, so the start (a pacer's
         * initial burst) and the tail (a last partial batch) do not count. NaN with too few requests.
         */
        synchronized double steadyRate(double from, double to) {
            Stretch stretch = stretch(from, to);
            if (stretch == null || times[stretch.high()] <= times[stretch.low()]) {
                return Double.NaN;
            }
            long counted = 0;
            for (int i = stretch.low() + 1; i <= stretch.high(); i++) {
                counted += items[i];
            }
            return counted / ((times[stretch.high()] - times[stretch.low()]) / 1e9);
        }

        /**
         * The steady rate over whole cycles of a vendor's window: the items of {@code k × perPeriod} requests in a row,
         * from the one by which {@code from} of all items had arrived, over the time from its arrival to the arrival of
         * the request {@code k × perPeriod} places after it, for the largest {@code k} that stays within the one by
         * which {@code to} had. A pacer at the limit sends in bursts: a request goes one period after the request N
         * ({@code perPeriod}) places before it ended, so the pattern repeats every period plus a request's latency,
         * not every period, and a stretch of whole periods that starts inside a burst leaves a part of the burst its
         * k periods later out (it read down to 0.88 of the ceiling for a pacer at 0.97). A stretch of whole cycles holds
         * every burst once, wherever it starts. Any N + 1 requests in a row arrive a period apart at least where the
         * vendor allows N per period, so {@code k × N} requests take at least k periods and the figure is at most
         * limit × batch. NaN when the stretch holds less than one cycle.
         */
        synchronized double steadyRateOverCycles(double from, double to, int perPeriod) {
            Stretch stretch = stretch(from, to);
            if (stretch == null) {
                return Double.NaN;
            }
            int cycles = (stretch.high() - stretch.low()) / perPeriod;
            if (cycles < 1) {
                return Double.NaN;
            }
            int end = stretch.low() + cycles * perPeriod;
            long counted = 0;
            for (int i = stretch.low(); i < end; i++) {
                counted += items[i];
            }
            return counted / ((times[end] - times[stretch.low()]) / 1e9);
        }

        /** System.nanoTime() of the request by which {@code fraction} of all items had arrived; -1 with too few. */
        synchronized long momentOf(double fraction) {
            Stretch stretch = stretch(fraction, fraction);
            return stretch == null ? -1 : times[stretch.low()];
        }

        /** Items of the requests that arrived after {@code fromNanos}, up to and including {@code toNanos}. */
        synchronized long itemsBetween(long fromNanos, long toNanos) {
            long counted = 0;
            for (int i = 0; i < requests; i++) {
                if (times[i] > fromNanos && times[i] <= toNanos) {
                    counted += items[i];
                }
            }
            return counted;
        }

        /** The items of {@code endpoints} together as one endpoint's (their requests in order of arrival). */
        static Endpoint merged(String name, java.util.Collection<Endpoint> endpoints) {
            List<long[]> arrivals = new ArrayList<>();
            for (Endpoint endpoint : endpoints) {
                synchronized (endpoint) {
                    for (int i = 0; i < endpoint.requests; i++) {
                        arrivals.add(new long[] {endpoint.times[i], endpoint.items[i]});
                    }
                }
            }
            arrivals.sort(java.util.Comparator.comparingLong(arrival -> arrival[0]));
            Endpoint merged = new Endpoint(name);
            arrivals.forEach(arrival -> merged.accepted(arrival[0], (int) arrival[1], 0, List.of()));
            endpoints.forEach(endpoint -> merged.rejected += endpoint.rejected429());
            return merged;
        }

        /** System.nanoTime() of the last accepted request, or -1. */
        synchronized long lastNanos() {
            return requests == 0 ? -1 : times[requests - 1];
        }

        /** Seconds from the first to the last accepted request. */
        synchronized double span() {
            return requests < 2 ? 0 : (times[requests - 1] - times[0]) / 1e9;
        }
    }
}
