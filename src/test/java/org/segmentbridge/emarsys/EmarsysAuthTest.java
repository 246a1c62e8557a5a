package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.VendorTransport;

class EmarsysAuthTest {

    private static final Instant CREATED = Instant.parse("2014-03-20T12:51:45Z");

    private final DefaultCamelContext context = new DefaultCamelContext();

    private VendorTransport transport;

    @AfterEach
    void closeContext() throws Exception {
        context.close();
    }

    /** The bridge's transport, on a context of the test's own: token calls go through it. */
    private VendorTransport transport() throws Exception {
        if (transport == null) {
            context.start();
            transport = new VendorTransport(context);
            context.addService(transport);
        }
        return transport;
    }

    /** As the delivery engine and the backfill take them: waiting out a token fetch. */
    private static Map<String, String> headers(EmarsysAuth auth) {
        return AwaitingLookup.waitingFor(auth::headers, Duration.ofSeconds(10));
    }

    /** The shipped delivery defaults, which DestinationSettings requires, plus this destination's own keys. */
    private DestinationSettings settings(Map<String, String> own) throws IOException {
        Properties shipped = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"), StandardCharsets.UTF_8)) {
            shipped.load(reader);
        }
        Properties properties = new Properties();
        shipped.stringPropertyNames().stream().filter(key -> key.startsWith("bridge.delivery."))
                .forEach(key -> properties.setProperty(key, shipped.getProperty(key)));
        own.forEach((key, value) -> properties.setProperty("bridge.destination.emarsys." + key, value));
        context.getPropertiesComponent().setInitialProperties(properties);
        return new DestinationSettings("emarsys", new SettingsReader(context.getPropertiesComponent()));
    }

    @Nested
    class Wsse {

        private static final Pattern HEADER = Pattern.compile(
                "UsernameToken Username=\"([^\"]*)\", PasswordDigest=\"([^\"]*)\", Nonce=\"([^\"]*)\", Created=\"([^\"]*)\"");

        @Test
        void digestIsBase64OfTheHexSha1Text() {
            assertThat(WsseAuth.passwordDigest("d36e316282959a9ed4c89851497a717f", "2014-03-20T12:51:45Z", "customersecret"))
                    .isEqualTo("YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==");
        }

        @Test
        void headerCarriesUserDigestNonceAndCreatedToTheSecond() {
            Clock clock = Clock.fixed(CREATED.plusMillis(789), ZoneOffset.UTC);
            WsseAuth auth = new WsseAuth("customer001", "customersecret", clock, () -> "d36e316282959a9ed4c89851497a717f");

            assertThat(auth.headers()).containsExactly(Map.entry("X-WSSE",
                    "UsernameToken Username=\"customer001\", "
                            + "PasswordDigest=\"YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==\", "
                            + "Nonce=\"d36e316282959a9ed4c89851497a717f\", Created=\"2014-03-20T12:51:45Z\""));
            assertThat(auth.credentialId()).isEqualTo("wsse:customer001");
            assertThat(auth.secretHeaders()).containsExactly("X-WSSE");
            assertThat(auth.toString()).doesNotContain("customersecret");
        }

        @Test
        void everyAttemptGetsAFreshNonceAndItsOwnValidDigest() {
            WsseAuth auth = new WsseAuth("customer001", "customersecret", Clock.systemUTC());

            Matcher first = parse(auth.headers().get("X-WSSE"));
            Matcher second = parse(auth.headers().get("X-WSSE"));

            assertThat(first.group(3)).matches("[0-9a-f]{32}").isNotEqualTo(second.group(3));
            assertThat(second.group(3)).matches("[0-9a-f]{32}");
            for (Matcher header : new Matcher[] {first, second}) {
                assertThat(header.group(1)).isEqualTo("customer001");
                assertThat(header.group(4)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
                assertThat(header.group(2))
                        .isEqualTo(WsseAuth.passwordDigest(header.group(3), header.group(4), "customersecret"));
            }
        }

        private Matcher parse(String header) {
            Matcher matcher = HEADER.matcher(header);
            assertThat(matcher.matches()).as("X-WSSE header %s", header).isTrue();
            return matcher;
        }
    }

    @Nested
    class OAuth2 {

        private static final String SECRET = "client-secret-9f3k";
        private static final String BASIC = "Basic "
                + Base64.getEncoder().encodeToString(("client-1:" + SECRET).getBytes(StandardCharsets.UTF_8));

        @RegisterExtension
        final WireMockExtension tokenServer = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

        private final MutableClock clock = new MutableClock(CREATED);

        private OAuth2Auth auth() throws Exception {
            return new OAuth2Auth(URI.create(tokenServer.baseUrl() + "/oauth2/token"), "client-1", SECRET,
                    transport(), clock, settings(Map.of()));
        }

        private static String tokenAnswer(String token) {
            return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
        }

        @Test
        void asksForATokenWithClientCredentialsAndSendsItAsBearer() throws Exception {
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json").withBody(tokenAnswer("token-1"))));
            OAuth2Auth auth = auth();

            assertThat(headers(auth)).containsExactly(Map.entry("Authorization", "Bearer token-1"));
            tokenServer.verify(1, postRequestedFor(urlEqualTo("/oauth2/token"))
                    .withHeader("Authorization", equalTo(BASIC))
                    .withHeader("Content-Type", equalTo("application/x-www-form-urlencoded"))
                    .withRequestBody(equalTo("grant_type=client_credentials")));
            assertThat(tokenServer.getAllServeEvents()).hasSize(1);
            assertThat(auth.credentialId()).isEqualTo("oauth2:client-1");
            assertThat(auth.secretHeaders()).containsExactly("Authorization");
            assertThat(auth.toString()).doesNotContain(SECRET).doesNotContain("token-1");
        }

        @Test
        void reusesTheTokenUntilAMinuteBeforeItExpires() throws Exception {
            tokenServer.stubFor(post("/oauth2/token").inScenario("tokens").whenScenarioStateIs(Scenario.STARTED)
                    .willReturn(aResponse().withBody(tokenAnswer("token-1"))).willSetStateTo("renewed"));
            tokenServer.stubFor(post("/oauth2/token").inScenario("tokens").whenScenarioStateIs("renewed")
                    .willReturn(aResponse().withBody(tokenAnswer("token-2"))));
            OAuth2Auth auth = auth();

            for (int call = 0; call < 3; call++) {
                assertThat(headers(auth)).containsEntry("Authorization", "Bearer token-1");
            }
            clock.set(CREATED.plusSeconds(3600 - 61));
            assertThat(headers(auth)).containsEntry("Authorization", "Bearer token-1");
            tokenServer.verify(1, postRequestedFor(urlEqualTo("/oauth2/token")));

            clock.set(CREATED.plusSeconds(3600 - 60));
            assertThat(headers(auth)).containsEntry("Authorization", "Bearer token-2");
            assertThat(headers(auth)).containsEntry("Authorization", "Bearer token-2");
            tokenServer.verify(2, postRequestedFor(urlEqualTo("/oauth2/token")));
        }

        @Test
        void concurrentCallersWithoutATokenShareOneTokenRequest() throws Exception {
            // The delay keeps the first request open while the other threads arrive.
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse()
                    .withFixedDelay(300).withBody(tokenAnswer("token-1"))));
            OAuth2Auth auth = auth();
            int threads = 10;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Map<String, String>>> calls = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    calls.add(pool.submit(() -> {
                        start.await();
                        return headers(auth);
                    }));
                }
                start.countDown();
                for (Future<Map<String, String>> call : calls) {
                    assertThat(call.get(10, TimeUnit.SECONDS)).containsEntry("Authorization", "Bearer token-1");
                }
            } finally {
                pool.shutdownNow();
            }
            tokenServer.verify(1, postRequestedFor(urlEqualTo("/oauth2/token")));
        }

        @Test
        void refusedTokenRequestNamesUrlAndStatusButNotTheSecret() throws Exception {
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse().withStatus(401)
                    .withBody("{\"error\":\"invalid_client\",\"seen\":\"" + SECRET + "\"}")));
            OAuth2Auth auth = auth();

            assertThatThrownBy(() -> headers(auth))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(tokenServer.baseUrl() + "/oauth2/token")
                    .hasMessageContaining("401")
                    .hasMessageContaining("invalid_client")
                    .message().doesNotContain(SECRET).doesNotContain(BASIC.substring("Basic ".length()));
        }

        @Test
        void unreadableTokenAnswerFailsWithAShortenedBody() throws Exception {
            String longBody = "<html>" + "x".repeat(1000) + "</html>";
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse().withStatus(200).withBody(longBody)));
            OAuth2Auth auth = auth();

            assertThatThrownBy(() -> headers(auth))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(tokenServer.baseUrl() + "/oauth2/token")
                    .hasMessageContaining("200")
                    .hasMessageContaining(longBody.substring(0, 300))
                    .message().doesNotContain(longBody.substring(0, 301));
        }
    }

    @Nested
    class FromSettings {

        @RegisterExtension
        final WireMockExtension tokenServer = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

        private Optional<EmarsysAuth> from(Map<String, String> own) throws Exception {
            return EmarsysAuth.from(settings(own), transport(), Clock.fixed(CREATED, ZoneOffset.UTC));
        }

        @Test
        void autoPicksOAuth2WhenBothKindsOfCredentialsAreSetAndItsV3Api() throws Exception {
            Map<String, String> both = Map.of("client-id", "client-1", "client-secret", "s3cret",
                    "api-user", "customer001", "api-secret", "customersecret");

            EmarsysAuth auth = from(both).orElseThrow();

            assertThat(auth).isInstanceOf(OAuth2Auth.class);
            assertThat(auth.credentialId()).isEqualTo("oauth2:client-1");
            assertThat(EmarsysAuth.baseUrl(settings(both))).isEqualTo(URI.create("https://api.emarsys.net/api/v3"));
        }

        @Test
        void autoPicksWsseWhenOnlyAnApiUserIsSetAndItsV2Api() throws Exception {
            Map<String, String> wsse = Map.of("api-user", "customer001", "api-secret", "customersecret");

            assertThat(from(wsse).orElseThrow()).isInstanceOf(WsseAuth.class);
            assertThat(EmarsysAuth.baseUrl(settings(wsse))).isEqualTo(URI.create("https://api.emarsys.net/api/v2"));
        }

        @Test
        void aBaseUrlThatIsSetIsUsedWhateverTheAuth() throws Exception {
            assertThat(EmarsysAuth.baseUrl(settings(Map.of("client-id", "client-1", "client-secret", "s3cret",
                    "base-url", "https://suite5.emarsys.net/api/v2/")))).isEqualTo(URI.create("https://suite5.emarsys.net/api/v2"));
        }

        @Test
        void wsseIsChosenForAnApiUserAlone() throws Exception {
            EmarsysAuth auth = from(Map.of("api-user", "customer001", "api-secret", "customersecret")).orElseThrow();

            assertThat(auth).isInstanceOf(WsseAuth.class);
            assertThat(auth.credentialId()).isEqualTo("wsse:customer001");
            assertThat(headers(auth).get("X-WSSE")).contains("Username=\"customer001\"", "Created=\"2014-03-20T12:51:45Z\"");
        }

        @Test
        void oauth2IsChosenAndAsksTheConfiguredTokenUrl() throws Exception {
            tokenServer.stubFor(post("/token").willReturn(aResponse().withBody(
                    "{\"access_token\":\"token-1\",\"token_type\":\"Bearer\",\"expires_in\":3600}")));
            EmarsysAuth auth = from(Map.of("auth", "oauth2", "client-id", "client-1", "client-secret", "s3cret",
                    "token-url", tokenServer.baseUrl() + "/token",
                    // wsse credentials left over from before the switch must not be chosen
                    "api-user", "customer001", "api-secret", "customersecret")).orElseThrow();

            assertThat(auth).isInstanceOf(OAuth2Auth.class);
            assertThat(auth.credentialId()).isEqualTo("oauth2:client-1");
            assertThat(headers(auth)).containsExactly(Map.entry("Authorization", "Bearer token-1"));
        }

        @Test
        void oauth2TokenUrlDefaultsToEmarsys() throws Exception {
            EmarsysAuth auth = from(Map.of("auth", "oauth2", "client-id", "client-1", "client-secret", "s3cret")).orElseThrow();

            assertThat(((OAuth2Auth) auth).tokenUrl()).isEqualTo(URI.create("https://auth.emarsys.net/oauth2/token"));
        }

        @Test
        void noCredentialsMeansNoAuth() throws Exception {
            assertThat(from(Map.of())).isEmpty();
            assertThat(from(Map.of("auth", "wsse", "api-user", " "))).isEmpty();
            assertThat(from(Map.of("auth", "oauth2", "api-user", "customer001", "api-secret", "customersecret"))).isEmpty();
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "wsse   | api-user      | Setting bridge.destination.emarsys.api-secret is missing or empty: it is needed together with bridge.destination.emarsys.api-user",
                "wsse   | api-secret    | Setting bridge.destination.emarsys.api-user is missing or empty: it is needed together with bridge.destination.emarsys.api-secret",
                "oauth2 | client-id     | Setting bridge.destination.emarsys.client-secret is missing or empty: it is needed together with bridge.destination.emarsys.client-id",
                "oauth2 | client-secret | Setting bridge.destination.emarsys.client-id is missing or empty: it is needed together with bridge.destination.emarsys.client-secret"})
        void halfACredentialIsRefusedNamingTheMissingKey(String auth, String onlySet, String message) throws Exception {
            DestinationSettings settings = settings(Map.of("auth", auth, onlySet, "value"));

            assertThatThrownBy(() -> EmarsysAuth.from(settings, transport(), Clock.systemUTC()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        }

        @Test
        void unknownAuthIsRefused() throws Exception {
            DestinationSettings settings = settings(Map.of("auth", "basic", "api-user", "customer001", "api-secret", "customersecret"));

            assertThatThrownBy(() -> EmarsysAuth.from(settings, transport(), Clock.systemUTC()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Setting bridge.destination.emarsys.auth must be auto, oauth2 or wsse, got 'basic'");
        }

        @Test
        void tokenUrlMustBeAnAbsoluteHttpUrl() throws Exception {
            DestinationSettings settings = settings(Map.of("auth", "oauth2", "client-id", "client-1", "client-secret", "s3cret",
                    "token-url", "auth.emarsys.net/oauth2/token"));

            assertThatThrownBy(() -> EmarsysAuth.from(settings, transport(), Clock.systemUTC()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Setting bridge.destination.emarsys.token-url must be an absolute http(s) URL, got 'auth.emarsys.net/oauth2/token'");
        }
    }

    /** A clock the test moves by hand, to pass a token's expiry without waiting for it. */
    private static final class MutableClock extends Clock {

        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
