package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.segmentbridge.SettingsReader;

/**
 * The one transport against a fake vendor: exactly the request's own method, URI, headers and body go out; the answer
 * comes back whole; no answer is a temporary failure saying so; a connector's own calls are paced by the credential
 * and counted.
 */
class VendorTransportTest {

    @RegisterExtension
    final WireMockExtension vendor = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

    private final DefaultCamelContext context = new DefaultCamelContext();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private VendorTransport transport;

    @BeforeEach
    void start() throws Exception {
        context.getRegistry().bind("meters", meters);
        context.start();
        transport = new VendorTransport(context);
        context.addService(transport);
    }

    @AfterEach
    void stop() throws Exception {
        context.close();
    }

    @Test
    void sendsOnlyTheRequestItselfAndReturnsTheWholeAnswer() throws Exception {
        vendor.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT")
                .withHeader("X-RateLimit-Remaining", "0").withBody("{\"error\":\"slow down\"}")));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Api-Key", "key-1");
        OutboundRequest request = new OutboundRequest("PATCH", URI.create(vendor.baseUrl() + "/api/users/a%40b.com?x=1&y=%7B%7D"),
                headers, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));

        VendorAnswer answer = transport.send(request, settings(Map.of()), new CountedPermit()).get(10, TimeUnit.SECONDS);

        assertThat(answer.status()).isEqualTo(429);
        assertThat(answer.bodyText()).isEqualTo("{\"error\":\"slow down\"}");
        assertThat(answer.header("Retry-After")).contains("Wed, 21 Oct 2026 07:28:00 GMT");
        assertThat(answer.rateLimitRemaining()).contains(0L);
        List<LoggedRequest> received = vendor.findAll(anyRequestedFor(anyUrl()));
        assertThat(received).hasSize(1);
        LoggedRequest sent = received.get(0);
        assertThat(sent.getMethod().getName()).isEqualTo("PATCH");
        assertThat(sent.getUrl()).isEqualTo("/api/users/a%40b.com?x=1&y=%7B%7D");
        assertThat(sent.getHeader("Content-Type")).isEqualTo("application/json");
        assertThat(sent.getHeader("Api-Key")).isEqualTo("key-1");
        assertThat(sent.getBodyAsString()).isEqualTo("{\"a\":1}");
        assertThat(sent.getAllHeaderKeys()).noneMatch(name -> name.toLowerCase().startsWith("camel"));
    }

    @Test
    void aRequestWithoutBodyCarriesNone() throws Exception {
        vendor.stubFor(any(anyUrl()).willReturn(okJson("{}")));
        OutboundRequest request = new OutboundRequest("DELETE", URI.create(vendor.baseUrl() + "/user?id=1"), Map.of(), new byte[0]);

        assertThat(transport.send(request, settings(Map.of()), new CountedPermit()).get(10, TimeUnit.SECONDS).status()).isEqualTo(200);

        LoggedRequest sent = vendor.findAll(anyRequestedFor(anyUrl())).get(0);
        assertThat(sent.getMethod().getName()).isEqualTo("DELETE");
        assertThat(sent.getBody()).isEmpty();
        assertThat(sent.getHeader("Content-Type")).isNull();
    }

    @Test
    void noAnswerWithinTheRequestTimeoutIsATemporaryFailureSayingSo() {
        vendor.stubFor(any(anyUrl()).willReturn(okJson("{}").withFixedDelay(3000)));
        OutboundRequest request = OutboundRequest.json("POST", URI.create(vendor.baseUrl() + "/slow"), "{}");
        CountedPermit permit = new CountedPermit();
        CompletableFuture<VendorAnswer> answer = transport.send(request, settings(Map.of("timeout.request", "500ms")), permit);

        assertThatThrownBy(() -> answer.join()).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(TemporaryFailure.class).hasMessage("no answer within PT0.5S");
        assertThat(permit.done).as("the permit's request ended with its timeout").hasValue(1);
    }

    @Test
    void aRequestsPermitIsDoneOnceItsAnswerCameBack() throws Exception {
        vendor.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503)));
        CountedPermit permit = new CountedPermit();
        CompletableFuture<VendorAnswer> answer = transport.send(
                OutboundRequest.json("POST", URI.create(vendor.baseUrl() + "/failing"), "{}"), settings(Map.of()), permit);

        assertThat(answer.get(10, TimeUnit.SECONDS).status()).isEqualTo(503);
        assertThat(permit.done).as("done when the answer came").hasValue(1);
        assertThat(permit.givenBack).hasValue(0);
    }

    @Test
    void ownCallsArePacedByTheCredentialAndCounted() throws Exception {
        vendor.stubFor(any(urlPathEqualTo("/api/lists")).willReturn(okJson("{\"lists\":[]}")));
        // 2 requests per 2 s: the third goes 2 s after the first one's answer came back.
        DestinationSettings settings = settings(Map.of("rate.requests", "2", "rate.period", "2s"));
        OutboundRequest lookup = new OutboundRequest("GET", URI.create(vendor.baseUrl() + "/api/lists"), Map.of(), new byte[0]);

        long started = System.nanoTime();
        CompletableFuture<VendorAnswer> first = transport.call("lookup", lookup, settings, "test:key");
        CompletableFuture<VendorAnswer> second = transport.call("lookup", lookup, settings, "test:key");
        CompletableFuture<Long> third = transport.call("lookup", lookup, settings, "test:key")
                .thenApply(answer -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

        assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(second.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(third.get(10, TimeUnit.SECONDS)).as("the third waited for the pacer").isGreaterThanOrEqualTo(2000);
        assertThat(vendor.findAll(anyRequestedFor(urlPathEqualTo("/api/lists")))).hasSize(3);
        assertThat(meters.get("bridge.delivery.vendor.latency").tags("destination", "test", "action", "lookup", "status", "200")
                .timer().count()).isEqualTo(3);
    }

    /** A permit that counts what was said of its request. */
    private static final class CountedPermit implements RequestPacer.Permit {
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger givenBack = new AtomicInteger();

        @Override
        public void done() {
            done.incrementAndGet();
        }

        @Override
        public void giveBack() {
            givenBack.incrementAndGet();
        }
    }

    /** The shipped delivery defaults, which DestinationSettings requires, plus this destination's own keys. */
    private DestinationSettings settings(Map<String, String> own) {
        Properties shipped = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"), StandardCharsets.UTF_8)) {
            shipped.load(reader);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Properties properties = new Properties();
        shipped.stringPropertyNames().stream().filter(key -> key.startsWith("bridge.delivery."))
                .forEach(key -> properties.setProperty(key, shipped.getProperty(key)));
        own.forEach((key, value) -> properties.setProperty("bridge.destination.test." + key, value));
        context.getPropertiesComponent().setInitialProperties(properties);
        return new DestinationSettings("test", new SettingsReader(context.getPropertiesComponent()));
    }
}
