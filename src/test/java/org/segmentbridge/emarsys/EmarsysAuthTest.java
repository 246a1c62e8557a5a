package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EmarsysAuthTest {

    private static final Instant CREATED = Instant.parse("2014-03-20T12:51:45Z");

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

        private OAuth2Auth auth() {
            return new OAuth2Auth(URI.create(tokenServer.baseUrl() + "/oauth2/token"), "client-1", SECRET,
                    HTTP, clock, Duration.ofSeconds(5));
        }

        private static String tokenAnswer(String token) {
            return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
        }

        @Test
        void asksForATokenWithClientCredentialsAndSendsItAsBearer() {
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json").withBody(tokenAnswer("token-1"))));
            OAuth2Auth auth = auth();

            assertThat(auth.headers()).containsExactly(Map.entry("Authorization", "Bearer token-1"));
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
        void reusesTheTokenUntilAMinuteBeforeItExpires() {
            tokenServer.stubFor(post("/oauth2/token").inScenario("tokens").whenScenarioStateIs(Scenario.STARTED)
                    .willReturn(aResponse().withBody(tokenAnswer("token-1"))).willSetStateTo("renewed"));
            tokenServer.stubFor(post("/oauth2/token").inScenario("tokens").whenScenarioStateIs("renewed")
                    .willReturn(aResponse().withBody(tokenAnswer("token-2"))));
            OAuth2Auth auth = auth();

            for (int call = 0; call < 3; call++) {
                assertThat(auth.headers()).containsEntry("Authorization", "Bearer token-1");
            }
            clock.set(CREATED.plusSeconds(3600 - 61));
            assertThat(auth.headers()).containsEntry("Authorization", "Bearer token-1");
            tokenServer.verify(1, postRequestedFor(urlEqualTo("/oauth2/token")));

            clock.set(CREATED.plusSeconds(3600 - 60));
            assertThat(auth.headers()).containsEntry("Authorization", "Bearer token-2");
            assertThat(auth.headers()).containsEntry("Authorization", "Bearer token-2");
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
                        return auth.headers();
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
        void refusedTokenRequestNamesUrlAndStatusButNotTheSecret() {
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse().withStatus(401)
                    .withBody("{\"error\":\"invalid_client\",\"seen\":\"" + SECRET + "\"}")));
            OAuth2Auth auth = auth();

            assertThatThrownBy(auth::headers)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(tokenServer.baseUrl() + "/oauth2/token")
                    .hasMessageContaining("401")
                    .hasMessageContaining("invalid_client")
                    .message().doesNotContain(SECRET).doesNotContain(BASIC.substring("Basic ".length()));
        }

        @Test
        void unreadableTokenAnswerFailsWithAShortenedBody() {
            String longBody = "<html>" + "x".repeat(1000) + "</html>";
            tokenServer.stubFor(post("/oauth2/token").willReturn(aResponse().withStatus(200).withBody(longBody)));
            OAuth2Auth auth = auth();

            assertThatThrownBy(auth::headers)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(tokenServer.baseUrl() + "/oauth2/token")
                    .hasMessageContaining("200")
                    .hasMessageContaining(longBody.substring(0, 300))
                    .message().doesNotContain(longBody.substring(0, 301));
        }
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

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
