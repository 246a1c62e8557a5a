package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** With auth = oauth2 the bridge fetches one client-credentials token and reuses it for every request until it expires. */
class EmarsysOAuth2Test {

    @Test
    void oneTokenServesEveryRequestAsBearer() {
        try (EmarsysFake fake = new EmarsysFake(baseUrl -> Map.of(
                "bridge.destination.emarsys.auth", "oauth2",
                "bridge.destination.emarsys.api-user", "",
                "bridge.destination.emarsys.api-secret", "",
                "bridge.destination.emarsys.client-id", "bridge-client",
                "bridge.destination.emarsys.client-secret", "client-secret-value",
                "bridge.destination.emarsys.token-url", baseUrl + "/oauth2/token"))) {
            fake.emarsys.stubFor(post(urlEqualTo("/oauth2/token"))
                    .willReturn(okJson("{\"access_token\":\"token-one\",\"token_type\":\"Bearer\",\"expires_in\":3600}")));

            for (int i = 0; i < 3; i++) {
                String email = "oauth" + i + "@example.com";
                fake.send("{\"type\":\"identify\",\"userId\":\"oauth-" + i + "\",\"traits\":{\"email\":\"" + email + "\"}}");
                await().atMost(Duration.ofSeconds(15)).until(() -> fake.bodies("PUT", "/api/v2/contact/?create_if_not_exists=1")
                        .stream().anyMatch(body -> body.toString().contains(email)));
            }

            fake.emarsys.verify(1, postRequestedFor(urlEqualTo("/oauth2/token"))
                    .withHeader("Authorization", equalTo("Basic " + Base64.getEncoder().encodeToString(
                            "bridge-client:client-secret-value".getBytes(StandardCharsets.UTF_8))))
                    .withHeader("Content-Type", equalTo("application/x-www-form-urlencoded"))
                    .withRequestBody(equalTo("grant_type=client_credentials")));
            var apiCalls = fake.emarsys.findAll(anyRequestedFor(urlMatching("/api/v2/.*")));
            assertThat(apiCalls).hasSizeGreaterThanOrEqualTo(3).allSatisfy(request -> {
                assertThat(request.getHeader("Authorization")).isEqualTo("Bearer token-one");
                assertThat(request.containsHeader("X-WSSE")).isFalse();
            });
        }
    }
}
