package org.segmentbridge.console;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.segmentbridge.support.RunningBridge;

/**
 * The console's page and the admin endpoints it reads, over HTTP against a bridge delivering to a fake Iterable: the
 * page's security headers, the token on every endpoint, dead letters filtered, read and replayed by filter, the
 * destinations' figures, a person's identity links, the routes and mappings, and the settings with secrets masked.
 * The vendor pause comes last: it holds the destination for half a minute.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleEndpointsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static ConsoleFixture fixture;

    @BeforeAll
    static void start() {
        fixture = new ConsoleFixture();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @Test
    @Order(1)
    void thePageAndItsAssetsComeWithAStrictPolicyAndNoData() {
        HttpResponse<String> page = fixture.bridge.get("/console");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<script src=\"/console/console.js\" defer></script>")
                .contains("<link rel=\"stylesheet\" href=\"/console/console.css\">")
                .doesNotContainPattern("<script(?![^>]*\\ssrc=)").doesNotContain("style=").doesNotContainPattern("\\son[a-z]+=")
                .doesNotContain(ConsoleFixture.ADMIN_TOKEN);
        assertSecurityHeaders(page);

        for (String[] asset : new String[][] {{"/console/console.js", "text/javascript; charset=utf-8"},
                {"/console/console.css", "text/css; charset=utf-8"}}) {
            HttpResponse<String> answer = fixture.bridge.get(asset[0]);
            assertThat(answer.statusCode()).as(asset[0]).isEqualTo(200);
            assertThat(answer.headers().firstValue("Content-Type")).as(asset[0]).hasValue(asset[1]);
            assertSecurityHeaders(answer);
        }
        assertThat(fixture.bridge.get("/console/console.js").body()).doesNotContain("innerHTML").doesNotContain("outerHTML")
                .doesNotContain("insertAdjacentHTML").doesNotContain("document.write").doesNotContain("eval(");

        HttpResponse<String> missing = fixture.bridge.get("/console/application.properties");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertSecurityHeaders(missing);
    }

    @Test
    @Order(2)
    void everyEndpointTheConsoleReadsRefusesAWrongToken() {
        for (String path : List.of("/admin/destinations", "/admin/people?email=ann@example.com", "/admin/routes", "/admin/settings",
                "/admin/dead-letters/" + UUID.randomUUID(), "/admin/dead-letters?reason=quota")) {
            HttpResponse<String> answer = fixture.bridge.get(path, "Authorization", "Bearer wrong-token");
            assertThat(answer.statusCode()).as(path).isEqualTo(401);
            assertThat(RunningBridge.json(answer).path("error").asText()).as(path).isEqualTo("invalid admin token");
            assertThat(answer.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(fixture.bridge.get(path).statusCode()).as(path + " without a token").isEqualTo(401);
        }
    }

    @Test
    @Order(3)
    void deadLettersAreFilteredReadAndReplayedByFilter() {
        String quota = "quota-" + UUID.randomUUID();
        String invalid = "invalid-" + UUID.randomUUID();
        fixture.vendorRefuses();
        fixture.iterable.stubFor(post(urlEqualTo(ConsoleFixture.TRACK)).withRequestBody(containing(invalid)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"msg\":\"Invalid email\",\"code\":\"InvalidEmailAddressError\",\"params\":null}")));
        fixture.send(track(quota, "u-quota"), track(invalid, "u-invalid"));
        await().atMost(WAIT).until(() -> fixture.deadLetters(null).size() == 2);

        assertThat(messageIds("/admin/dead-letters?reason=QUOTA")).containsExactly(quota);
        assertThat(messageIds("/admin/dead-letters?reason=InvalidEmail")).as("the code counts as reason").containsExactly(invalid);
        assertThat(messageIds("/admin/dead-letters?action=event&destination=iterable")).containsExactlyInAnyOrder(quota, invalid);
        assertThat(messageIds("/admin/dead-letters?action=user-update")).isEmpty();
        assertThat(messageIds("/admin/dead-letters?reason=%25")).as("a wildcard is a character like any other").isEmpty();

        JsonNode listed = RunningBridge.json(fixture.admin("/admin/dead-letters?reason=quota")).path("deadLetters").get(0);
        HttpResponse<String> read = fixture.admin("/admin/dead-letters/" + listed.path("id").asText());
        assertThat(read.statusCode()).isEqualTo(200);
        JsonNode letter = RunningBridge.json(read);
        assertThat(letter).isEqualTo(listed);
        assertThat(letter.path("destination").asText()).isEqualTo("iterable");
        assertThat(letter.path("action").asText()).isEqualTo("event");
        assertThat(letter.path("status").asInt()).isEqualTo(400);
        assertThat(letter.path("code").asText()).isEqualTo(ConsoleFixture.REFUSAL_CODE);
        assertThat(letter.path("reason").asText()).isEqualTo(ConsoleFixture.REFUSAL_CODE + ": " + ConsoleFixture.REFUSAL_MESSAGE);
        assertThat(letter.path("event").path("messageId").asText()).isEqualTo(quota);
        assertThat(letter.path("item").path("id").asText()).isEqualTo(quota);
        String unknown = UUID.randomUUID().toString();
        HttpResponse<String> missing = fixture.admin("/admin/dead-letters/" + unknown);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(RunningBridge.json(missing).path("error").asText()).isEqualTo("no dead letter with id " + unknown);

        fixture.vendorRecovers();
        HttpResponse<String> replayed = fixture.bridge.post("/admin/dead-letters/replay?reason=quota", "",
                "Authorization", "Bearer " + ConsoleFixture.ADMIN_TOKEN);
        assertThat(replayed.statusCode()).isEqualTo(200);
        assertThat(RunningBridge.json(replayed).path("replayed").asInt()).isEqualTo(1);
        await().atMost(WAIT).until(() -> fixture.tracksCarrying(quota).size() == 1);
        assertThat(fixture.tracksCarrying(invalid)).as("what the filter left out stays a dead letter").isEmpty();
        assertThat(fixture.deadLetters(null)).extracting(dead -> dead.path("messageId").asText()).containsExactly(invalid);
        fixture.bridge.send("DELETE", "/admin/dead-letters/" + fixture.deadLetters(invalid).get(0).path("id").asText(),
                "Authorization", "Bearer " + ConsoleFixture.ADMIN_TOKEN);
    }

    @Test
    @Order(4)
    void aPersonsIdentityLinksAreFoundByEmailOrUserId() {
        fixture.send("""
                {"type":"identify","userId":"u-people","anonymousId":"anon-people","messageId":"people-%s",
                 "traits":{"email":"people@example.com"}}""".formatted(UUID.randomUUID()));
        fixture.bridge.awaitProcessed();

        JsonNode byEmail = RunningBridge.json(fixture.admin("/admin/people?email=People@Example.com"));
        assertThat(byEmail.path("personIds")).hasSize(1);
        assertThat(texts(byEmail.path("emails"))).contains("people@example.com");
        assertThat(texts(byEmail.path("userIds"))).containsExactly("u-people");
        assertThat(texts(byEmail.path("anonymousIds"))).containsExactly("anon-people");
        JsonNode byUserId = RunningBridge.json(fixture.admin("/admin/people?userId=u-people"));
        assertThat(byUserId.path("personIds")).isEqualTo(byEmail.path("personIds"));
        assertThat(texts(byUserId.path("emails"))).containsExactly("people@example.com");

        HttpResponse<String> nobody = fixture.admin("/admin/people?email=nobody@example.com");
        assertThat(nobody.statusCode()).isEqualTo(404);
        assertThat(RunningBridge.json(nobody).path("error").asText()).isEqualTo("the bridge knows no person with this email");
        for (String query : List.of("", "?email=a@example.com&userId=u-people", "?email=%20")) {
            HttpResponse<String> refused = fixture.admin("/admin/people" + query);
            assertThat(refused.statusCode()).as(query).isEqualTo(400);
            assertThat(RunningBridge.json(refused).path("error").asText()).as(query)
                    .isEqualTo("give exactly one of the parameters email and userId: /admin/people?email=... or ?userId=...");
        }
    }

    @Test
    @Order(5)
    void theRoutesAndMappingsInForceAreListedWithTheirValidation() throws IOException {
        JsonNode answer = RunningBridge.json(fixture.admin("/admin/routes"));

        assertThat(answer.path("routes")).hasSize(1);
        JsonNode route = answer.path("routes").get(0);
        assertThat(route.path("id").asText()).isEqualTo("test-tracks-to-iterable");
        assertThat(route.path("file").asText()).endsWith("src/test/resources/routes/tracks-to-iterable.yaml");
        assertThat(route.path("from").asText()).isEqualTo("events://iterable");
        assertThat(route.path("status").asText()).isEqualTo("Started");
        assertThat(route.path("validation").asText()).isEqualTo("valid");
        assertThat(route.path("warnings")).isEmpty();
        List<String> mappingFiles;
        try (Stream<Path> files = Files.list(Path.of("mappings"))) {
            mappingFiles = files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".yaml"))
                    .map(name -> name.substring(0, name.length() - ".yaml".length())).sorted().toList();
        }
        List<String> mappings = new ArrayList<>();
        answer.path("mappings").forEach(mapping -> {
            assertThat(mapping.path("validation").asText()).isEqualTo("valid");
            assertThat(mapping.path("file").asText()).isEqualTo("mappings/" + mapping.path("name").asText() + ".yaml");
            mappings.add(mapping.path("name").asText());
        });
        assertThat(mappings).isNotEmpty().isEqualTo(mappingFiles);
        assertThat(answer.path("warnings")).isEmpty();
    }

    @Test
    @Order(6)
    void theSettingsInForceAreListedWithEverySecretMasked() {
        HttpResponse<String> answer = fixture.admin("/admin/settings");
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).doesNotContain(ConsoleFixture.ADMIN_TOKEN).doesNotContain(ConsoleFixture.ITERABLE_API_KEY)
                .doesNotContain(ConsoleFixture.WRITE_KEY);
        Map<String, JsonNode> settings = new java.util.HashMap<>();
        RunningBridge.json(answer).path("settings").forEach(setting -> settings.put(setting.path("key").asText(), setting));

        assertSetting(settings, "bridge.admin-token", "***", true, true);
        assertSetting(settings, "bridge.write-keys", "***", true, true);
        assertSetting(settings, "bridge.destination.iterable.api-key", "***", true, true);
        assertSetting(settings, "bridge.destination.emarsys.api-secret", "", true, false);
        // Set or not by the test's state database: either way only whether it is set shows.
        assertThat(settings.get("bridge.state.password").path("secret").asBoolean()).isTrue();
        settings.values().stream().filter(setting -> setting.path("secret").asBoolean()).forEach(setting ->
                assertThat(setting.path("value").asText()).as(setting.path("key").asText())
                        .isEqualTo(setting.path("set").asBoolean() ? "***" : ""));
        assertSetting(settings, "bridge.iterable.webhook-token", "", true, false);
        assertSetting(settings, "bridge.destination.iterable.base-url", fixture.iterable.baseUrl(), false, true);
        assertSetting(settings, "bridge.identity.key-paths", "$.traits.email,$.context.traits.email", false, true);
        assertSetting(settings, "bridge.destination.emarsys.token-url", "https://auth.emarsys.net/oauth2/token", false, true);
        assertSetting(settings, "bridge.destinations", "iterable", false, true);
    }

    @Test
    @Order(7)
    void theDestinationsShowWhatTheyDidAndUntilWhenTheVendorPausedThem() {
        // The last delivery's acknowledgement is committed within milliseconds of its answer, and then it leaves the queue.
        await().atMost(WAIT).until(() -> destination().path("queueDepth").asLong() == 0);
        JsonNode before = destination();
        assertThat(before.path("mode").asText()).isEqualTo("live");
        assertThat(before.path("why").isNull()).isTrue();
        assertThat(before.path("deadLetters").asLong()).isZero();
        assertThat(before.path("pausedUntil").isNull()).isTrue();
        // What the tests above did: two refusals dead-lettered, one replay delivered (DeliveryRatesTest pins the window).
        assertThat(before.path("sinceStart")).isEqualTo(counts(1, 0, 2, 0));

        String limited = "limited-" + UUID.randomUUID();
        fixture.iterable.stubFor(post(urlEqualTo(ConsoleFixture.TRACK)).withRequestBody(containing(limited)).atPriority(1)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "30").withBody("{\"code\":\"RateLimitExceeded\"}")));
        Instant sent = Instant.now();
        fixture.send(track(limited, "u-limited"));
        await().atMost(WAIT).until(() -> destination().path("lastMinute").path("rateLimited").asInt() == 1);

        JsonNode paused = destination();
        assertThat(paused.path("lastMinute").path("rateLimited").asInt()).isEqualTo(1);
        assertThat(paused.path("lastMinute").path("retried").asInt()).as("the 429 is retried after the pause").isEqualTo(1);
        assertThat(paused.path("sinceStart")).isEqualTo(counts(1, 1, 2, 1));
        // Iterable paces each endpoint on its own, so a 429 pauses the endpoint that answered it, not the credential.
        assertThat(paused.path("pausedUntil").isNull()).isTrue();
        assertThat(paused.path("endpointPauses").size()).isEqualTo(1);
        Instant until = Instant.parse(paused.path("endpointPauses").path("event").asText());
        assertThat(until).isAfter(sent.plusSeconds(29)).isBefore(Instant.now().plusSeconds(31));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void assertSecurityHeaders(HttpResponse<String> answer) {
        assertThat(answer.headers().firstValue("Content-Security-Policy")).hasValue(CSP);
        assertThat(answer.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(answer.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(answer.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(answer.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(answer.headers().firstValue("Set-Cookie")).isEmpty();
    }

    private static void assertSetting(Map<String, JsonNode> settings, String key, String value, boolean secret, boolean set) {
        JsonNode setting = settings.get(key);
        assertThat(setting).as(key).isNotNull();
        assertThat(setting.path("value").asText()).as(key).isEqualTo(value);
        assertThat(setting.path("secret").asBoolean()).as(key + " is secret").isEqualTo(secret);
        assertThat(setting.path("set").asBoolean()).as(key + " is set").isEqualTo(set);
    }

    private static JsonNode destination() {
        HttpResponse<String> answer = fixture.admin("/admin/destinations");
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode destinations = RunningBridge.json(answer).path("destinations");
        assertThat(destinations).hasSize(1);
        assertThat(destinations.get(0).path("destination").asText()).isEqualTo("iterable");
        return destinations.get(0);
    }

    private static JsonNode counts(int delivered, int retried, int deadLettered, int rateLimited) {
        return RunningBridge.JSON.createObjectNode().put("delivered", delivered).put("retried", retried)
                .put("deadLettered", deadLettered).put("rateLimited", rateLimited);
    }

    private static List<String> messageIds(String path) {
        HttpResponse<String> answer = fixture.admin(path);
        assertThat(answer.statusCode()).as(path).isEqualTo(200);
        List<String> messageIds = new ArrayList<>();
        RunningBridge.json(answer).path("deadLetters").forEach(letter -> messageIds.add(letter.path("messageId").asText()));
        return messageIds;
    }

    private static List<String> texts(Iterable<JsonNode> nodes) {
        List<String> texts = new ArrayList<>();
        nodes.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private static String track(String messageId, String userId) {
        return """
                {"type":"track","event":"Clicked","userId":"%s","messageId":"%s","context":{"traits":{"email":"%s@example.com"}}}"""
                .formatted(userId, messageId, userId);
    }
}
