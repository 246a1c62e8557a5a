package org.segmentbridge.emarsys;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
import org.segmentbridge.support.SharedStateDatabase;

/**
 * Two bridges on one PostgreSQL database (cluster mode) that need the same new Emarsys contact list at the same moment
 * create it once: a WireMock Emarsys that lists what was created, and answers slowly enough that both bridges have
 * asked before either creates.
 */
class SharedContactListCreationTest {

    private static final String API_USER = "shared-list-user";
    /** Emarsys' envelope, up to its data. */
    private static final String OK = "{\"replyCode\":0,\"replyText\":\"OK\",\"data\":";

    private final WireMockServer emarsys = new WireMockServer(options().dynamicPort());
    private final SharedStateDatabase database = SharedStateDatabase.postgresql();
    private final List<DefaultCamelContext> contexts = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (DefaultCamelContext context : contexts) {
            context.close();
        }
        database.close();
        emarsys.stop();
    }

    @Test
    void twoBridgesNeedingTheSameNewListCreateItOnce() throws Exception {
        emarsys.start();
        // Emarsys as it behaves: no list until one is created, then that list, whatever is asked next.
        emarsys.stubFor(get(urlEqualTo("/contactlist")).inScenario("lists").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson(OK + "[{\"id\":\"11\",\"name\":\"Newsletter\"}]}").withFixedDelay(300)));
        emarsys.stubFor(post(urlEqualTo("/contactlist")).inScenario("lists").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(okJson(OK + "{\"id\":9001}}").withFixedDelay(300)).willSetStateTo("created"));
        emarsys.stubFor(get(urlEqualTo("/contactlist")).inScenario("lists").whenScenarioStateIs("created")
                .willReturn(okJson(OK + "[{\"id\":\"11\",\"name\":\"Newsletter\"},{\"id\":\"9001\",\"name\":\"VIP\"}]}")));
        emarsys.stubFor(post(urlEqualTo("/contactlist")).inScenario("lists").whenScenarioStateIs("created")
                .willReturn(okJson(OK + "{\"id\":9002}}")));
        List<Bridge> bridges = List.of(bridge(), bridge());

        List<String> ids = atOnce(bridges, "VIP");

        assertThat(ids).containsExactly("9001", "9001");
        emarsys.verify(1, postRequestedFor(urlEqualTo("/contactlist")));
        assertThat(emarsys.findAll(getRequestedFor(urlEqualTo("/contactlist")))).as("each asked, and asked again under the lock")
                .hasSizeBetween(3, 4);
        // Known now, in both: no more calls.
        assertThat(atOnce(bridges, "VIP")).containsExactly("9001", "9001");
        assertThat(atOnce(bridges, "Newsletter")).containsExactly("11", "11");
        emarsys.verify(1, postRequestedFor(urlEqualTo("/contactlist")));
    }

    private record Bridge(EmarsysDirectory directory, DestinationSettings settings) {
    }

    /** One bridge's directory of Emarsys ids: its own Camel context and transport, its own state store on the shared database. */
    private Bridge bridge() throws Exception {
        DefaultCamelContext context = DeliveryContext.started(Map.of("bridge.destination.emarsys.base-url", emarsys.baseUrl(),
                "bridge.destination.emarsys.rate.requests", "1000"));
        contexts.add(context);
        VendorTransport transport = new VendorTransport(context);
        context.addService(transport);
        EmarsysHttp http = new EmarsysHttp();
        http.use(transport);
        EmarsysDirectory directory = new EmarsysDirectory(http);
        directory.useLocks(new ClusterLocks(database.newStore()));
        return new Bridge(directory, new DestinationSettings("emarsys", new SettingsReader(context.getPropertiesComponent())));
    }

    /** Each bridge asks for the list's id at the same moment, as a delivery would, waiting out its lookups. */
    private static List<String> atOnce(List<Bridge> bridges, String list) throws Exception {
        return AtOnce.call(bridges.stream().<java.util.concurrent.Callable<String>>map(bridge -> () -> AwaitingLookup.waitingFor(() -> bridge.directory().listId(list, "3", bridge.settings(),
                        Optional.of(new WsseAuth(API_USER, "secret", Clock.systemUTC()))), Duration.ofSeconds(20))).toList());
    }
}
