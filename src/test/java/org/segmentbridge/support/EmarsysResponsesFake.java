package org.segmentbridge.support;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.segmentbridge.emarsys.BackfillClock;

/**
 * A WireMock Emarsys answering the engagement backfill's calls: {@code POST /email/responses} per (type, day) with a
 * query id, {@code GET /email/responses/{id}} "still generating" (replyCode 202) once and then the contact ids, and
 * {@code POST /contact/getdata} with the emails of the account's contacts; and the opt-in feed's:
 * {@code POST /contact/getchanges} with an export id, {@code GET /export/{id}} "in progress" once and then "done",
 * and {@code GET /export/{id}/data} with the export's CSV. Also the virtual clock both run on, with the virtual time
 * at which each query arrived.
 */
public final class EmarsysResponsesFake implements AutoCloseable {

    public static final String API_USER = "backfill_api_user";
    public static final String API_SECRET = "backfill-secret-value";
    public static final String RESPONSES = "/api/v2/email/responses";
    public static final String GETDATA = "/api/v2/contact/getdata";
    public static final String GETCHANGES = "/api/v2/contact/getchanges";

    public final WireMockServer emarsys = new WireMockServer(options().dynamicPort());
    public final VirtualClock clock;
    /** Virtual time at which each {@code POST /email/responses} arrived, in order. */
    public final List<Instant> queryTimes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger queryIds = new AtomicInteger(100);
    private final Map<String, String> contacts = new LinkedHashMap<>();

    public EmarsysResponsesFake(Instant now) {
        clock = new VirtualClock(now);
        emarsys.start();
        emarsys.addMockServiceRequestListener((request, response) -> {
            if (request.getMethod().getName().equals("POST") && request.getUrl().equals(RESPONSES)) {
                queryTimes.add(clock.now());
            }
        });
        stubGetData();
    }

    /** Settings that point the bridge's Emarsys at this fake, with WSSE credentials. */
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("bridge.destination.emarsys.base-url", emarsys.baseUrl() + "/api/v2");
        settings.put("bridge.destination.emarsys.api-user", API_USER);
        settings.put("bridge.destination.emarsys.api-secret", API_SECRET);
        return settings;
    }

    /** A contact the account has; contacts never added are unknown to getdata (deleted since they responded). */
    public EmarsysResponsesFake contact(String id, String email) {
        contacts.put(id, email);
        stubGetData();
        return this;
    }

    /** The contacts who responded with {@code type} on {@code day}: a query id, polled once before it is ready. */
    public EmarsysResponsesFake responses(String type, String day, String... contactIds) {
        int id = queryIds.incrementAndGet();
        emarsys.stubFor(post(urlEqualTo(RESPONSES))
                .withRequestBody(equalToJson("{\"type\":\"" + type + "\",\"start_date\":\"" + day + "\",\"end_date\":\"" + day + "\"}"))
                .willReturn(okJson("{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"id\":" + id + "}}")));
        ArrayNode ids = RunningBridge.JSON.createArrayNode();
        for (String contactId : contactIds) {
            ids.add(contactId);
        }
        String scenario = "query-" + id;
        emarsys.stubFor(get(urlEqualTo(RESPONSES + "/" + id)).inScenario(scenario).whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"replyCode\":202,\"replyText\":\"The requested data is currently generated\",\"data\":\"\"}"))
                .willSetStateTo("ready"));
        emarsys.stubFor(get(urlEqualTo(RESPONSES + "/" + id)).inScenario(scenario).whenScenarioStateIs("ready")
                .willReturn(okJson("{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"contact_ids\":" + ids + "}}")));
        return this;
    }

    /** Emarsys answers this (type, day) query with an HTTP status and body instead of an id. */
    public void refuse(String type, String day, int status, String body) {
        emarsys.stubFor(post(urlEqualTo(RESPONSES)).atPriority(1)
                .withRequestBody(equalToJson("{\"type\":\"" + type + "\",\"start_date\":\"" + day + "\",\"end_date\":\"" + day + "\"}"))
                .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)));
    }

    /**
     * What the next contact-change exports hold, as Emarsys writes them without a header: its contact id, then the
     * email and the opt-in asked for ({@code email,1} or {@code email,2}). Every export started from now on is
     * {@code exportId}; it is "in progress" at its first status call and "done" after.
     */
    public EmarsysResponsesFake changes(int exportId, String... emailAndOptIn) {
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < emailAndOptIn.length; i++) {
            csv.append(7000 + i).append(',').append(emailAndOptIn[i]).append("\r\n");
        }
        emarsys.stubFor(post(urlEqualTo(GETCHANGES))
                .willReturn(okJson("{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"id\":" + exportId + "}}")));
        String scenario = "export-" + exportId;
        emarsys.stubFor(get(urlEqualTo(export(exportId))).inScenario(scenario).whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson(exportStatus(exportId, "in progress"))).willSetStateTo("done"));
        emarsys.stubFor(get(urlEqualTo(export(exportId))).inScenario(scenario).whenScenarioStateIs("done")
                .willReturn(okJson(exportStatus(exportId, "done"))));
        emarsys.stubFor(get(urlEqualTo(exportData(exportId, 0)))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/csv;charset=UTF-8").withBody(csv.toString())));
        return this;
    }

    public static String export(int exportId) {
        return "/api/v2/export/" + exportId;
    }

    /** The first page of an export's CSV, as the feed asks for it. */
    public static String exportData(int exportId, int offset) {
        return export(exportId) + "/data?offset=" + offset + "&limit=10000";
    }

    private static String exportStatus(int exportId, String status) {
        return "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":{\"id\":\"" + exportId + "\",\"created\":\"2026-01-10 06:00:00\","
                + "\"status\":\"" + status + "\",\"type\":\"changes\",\"file_name\":\"export_" + exportId + ".csv\"}}";
    }

    private void stubGetData() {
        ArrayNode result = RunningBridge.JSON.createArrayNode();
        contacts.forEach((id, email) -> result.addObject().put("id", id).put("3", email).put("uid", "uid-" + id));
        ObjectNode answer = RunningBridge.JSON.createObjectNode().put("replyCode", 0).put("replyText", "OK");
        answer.putObject("data").putArray("errors");
        ((ObjectNode) answer.get("data")).set("result", result);
        emarsys.stubFor(post(urlEqualTo(GETDATA)).willReturn(okJson(answer.toString())));
    }

    public List<LoggedRequest> requests(String method, String url) {
        return emarsys.findAll(anyRequestedFor(urlEqualTo(url))).stream()
                .filter(request -> request.getMethod().getName().equals(method))
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    public List<JsonNode> bodies(String method, String url) {
        return requests(method, url).stream().map(request -> json(request.getBodyAsString())).toList();
    }

    public List<LoggedRequest> all() {
        return emarsys.findAll(anyRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.urlMatching(".*")));
    }

    public static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        emarsys.stop();
    }

    /**
     * Time that passes only when the backfill sleeps, at once. {@link #blockWhen} makes a sleep wait until the thread
     * is interrupted, to stop a run at a chosen point as a stopping bridge would.
     */
    public static final class VirtualClock implements BackfillClock {

        private Instant now;
        private final List<Duration> sleeps = new ArrayList<>();
        private volatile BooleanSupplier blockWhen = () -> false;
        private volatile boolean blocked;

        VirtualClock(Instant now) {
            this.now = now;
        }

        @Override
        public synchronized Instant now() {
            return now;
        }

        public synchronized void set(Instant instant) {
            now = instant;
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            if (blockWhen.getAsBoolean()) {
                blocked = true;
                Object forever = new Object();
                synchronized (forever) {
                    forever.wait();
                }
            }
            synchronized (this) {
                sleeps.add(duration);
                now = now.plus(duration);
            }
        }

        public synchronized List<Duration> sleeps() {
            return List.copyOf(sleeps);
        }

        public void blockWhen(BooleanSupplier condition) {
            blockWhen = condition;
        }

        public boolean blocked() {
            return blocked;
        }
    }
}
