package org.segmentbridge.iterable;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.state.ClusterLocks;
import org.segmentbridge.support.AtOnce;
import org.segmentbridge.support.DeliveryContext;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.SharedStateDatabase;

/**
 * Two bridges on one PostgreSQL database (cluster mode) that need the same new Iterable list at the same moment create
 * it once: a WireMock Iterable that lists what was created, and answers slowly enough that both bridges have asked
 * before either creates.
 */
class SharedListCreationTest {

    private static final String API_KEY = "shared-list-key";

    private final WireMockServer iterable = new WireMockServer(options().dynamicPort());
    private final SharedStateDatabase database = SharedStateDatabase.postgresql();
    private final List<DefaultCamelContext> contexts = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (DefaultCamelContext context : contexts) {
            context.close();
        }
        database.close();
        iterable.stop();
    }

    @Test
    void twoBridgesNeedingTheSameNewListCreateItOnce() throws Exception {
        iterable.start();
        // Iterable as it behaves: no list until one is created, then that list, whatever is asked next.
        iterable.stubFor(get(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"lists\":[{\"id\":11,\"name\":\"Newsletter\"}]}").withFixedDelay(300)));
        iterable.stubFor(post(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"listId\":9001}").withFixedDelay(300)).willSetStateTo("created"));
        iterable.stubFor(get(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs("created")
                .willReturn(okJson("{\"lists\":[{\"id\":11,\"name\":\"Newsletter\"},{\"id\":9001,\"name\":\"VIP\"}]}")));
        iterable.stubFor(post(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs("created")
                .willReturn(okJson("{\"listId\":9002}")));
        List<Bridge> bridges = List.of(bridge(), bridge());

        List<String> ids = atOnce(bridges, "VIP");

        assertThat(ids).containsExactly("9001", "9001");
        iterable.verify(1, postRequestedFor(urlEqualTo("/api/lists")));
        assertThat(iterable.findAll(getRequestedFor(urlEqualTo("/api/lists")))).as("each asked, and asked again under the lock")
                .hasSizeBetween(3, 4);
        // Known now, in both: no more calls.
        assertThat(atOnce(bridges, "VIP")).containsExactly("9001", "9001");
        assertThat(atOnce(bridges, "Newsletter")).containsExactly("11", "11");
        iterable.verify(1, postRequestedFor(urlEqualTo("/api/lists")));
    }

    /**
     * The same with two whole bridges (routes, delivery, the vendor's wiring of the locks): each is sent a person
     * entering a new audience at the same moment, and both persons are subscribed to the one list created.
     */
    @Test
    void twoRunningBridgesOnOneDatabaseCreateANewAudiencesListOnce() throws Exception {
        iterable.start();
        iterable.stubFor(any(urlMatching("/api/.*")).atPriority(10).willReturn(okJson(IterableFake.OK)));
        iterable.stubFor(get(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"lists\":[]}").withFixedDelay(500)));
        iterable.stubFor(post(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson("{\"listId\":9001}").withFixedDelay(300)).willSetStateTo("created"));
        iterable.stubFor(get(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs("created")
                .willReturn(okJson("{\"lists\":[{\"id\":9001,\"name\":\"spring_sale\"}]}")));
        iterable.stubFor(post(urlEqualTo("/api/lists")).inScenario("lists").whenScenarioStateIs("created")
                .willReturn(okJson("{\"listId\":9002}")));
        Map<String, String> settings = new HashMap<>(database.bridgeSettings());
        settings.putAll(Map.of(
                "bridge.destinations", "iterable",
                "bridge.write-keys", IterableFake.WRITE_KEY,
                "camel.main.routesIncludePattern", "file:routes/iterable/*.yaml",
                "bridge.iterable.unsubscribe-message-types", "101",
                "bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", API_KEY,
                "bridge.destination.iterable.batch.flush", "100ms"));
        try (RunningBridge first = RunningBridge.start(settings); RunningBridge second = RunningBridge.start(settings)) {
            CompletableFuture<Integer> one = CompletableFuture.supplyAsync(() -> enters(first, "ann"));
            CompletableFuture<Integer> other = CompletableFuture.supplyAsync(() -> enters(second, "bob"));
            assertThat(List.of(one.get(10, TimeUnit.SECONDS), other.get(10, TimeUnit.SECONDS))).containsOnly(200);

            await().atMost(Duration.ofSeconds(15)).until(() -> subscribed("ann") && subscribed("bob"));
            iterable.verify(1, postRequestedFor(urlEqualTo("/api/lists")));
            assertThat(iterable.findAll(postRequestedFor(urlEqualTo("/api/lists/subscribe"))))
                    .allSatisfy(request -> assertThat(request.getBodyAsString()).contains("\"listId\":9001"));
        }
    }

    private static int enters(RunningBridge bridge, String person) {
        return bridge.postTracking("/v1/track", IterableFake.WRITE_KEY, "{\"type\":\"track\",\"event\":\"Audience Entered\","
                + "\"messageId\":\"enter-" + person + "\",\"userId\":\"" + person + "\",\"properties\":{\"audience_key\":\"spring_sale\"},"
                + "\"context\":{\"traits\":{\"email\":\"" + person + "@example.com\"},"
                + "\"personas\":{\"computation_class\":\"audience\",\"computation_key\":\"spring_sale\"}}}").statusCode();
    }

    private boolean subscribed(String person) {
        return iterable.findAll(postRequestedFor(urlEqualTo("/api/lists/subscribe"))).stream()
                .anyMatch(request -> request.getBodyAsString().contains(person + "@example.com"));
    }

    private record Bridge(IterableConnector connector, DestinationSettings settings) {
    }

    /** One bridge's connector: its own Camel context and transport, its own state store on the shared database. */
    private Bridge bridge() throws Exception {
        DefaultCamelContext context = DeliveryContext.started(Map.of("bridge.destination.iterable.base-url", iterable.baseUrl(),
                "bridge.destination.iterable.api-key", API_KEY, "bridge.destination.iterable.rate.requests", "1000"));
        contexts.add(context);
        VendorTransport transport = new VendorTransport(context);
        context.addService(transport);
        IterableConnector connector = new IterableConnector();
        connector.useTransport(transport);
        connector.useLocks(new ClusterLocks(database.newStore()));
        return new Bridge(connector, new DestinationSettings("iterable", new SettingsReader(context.getPropertiesComponent())));
    }

    /** Each bridge asks for the list's id at the same moment, as a delivery would, waiting out its lookups. */
    private static List<String> atOnce(List<Bridge> bridges, String list) throws Exception {
        return AtOnce.call(bridges.stream().<java.util.concurrent.Callable<String>>map(bridge -> () -> AwaitingLookup.waitingFor(() -> bridge.connector().listId(list, bridge.settings()), Duration.ofSeconds(20))).toList());
    }
}
