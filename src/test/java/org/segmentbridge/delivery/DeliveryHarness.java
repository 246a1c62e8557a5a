package org.segmentbridge.delivery;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;

/**
 * A bridge whose destinations are served by {@link FakeVendorConnector} and a WireMock fake vendor. Each destination
 * gets two routes: tracks go to the {@code single} action, identifies to {@code bulk?list=newsletter}.
 */
public final class DeliveryHarness implements AutoCloseable {

    static final String WRITE_KEY = "write-key";
    static final String ADMIN_TOKEN = "admin-secret-token";
    static final String API_KEY = "fake-vendor-api-key";

    final WireMockServer vendor;
    final RunningBridge bridge;

    private DeliveryHarness(WireMockServer vendor, RunningBridge bridge) {
        this.vendor = vendor;
        this.bridge = bridge;
    }

    /**
     * @param destinations destination name → its settings (suffixes of {@code bridge.destination.<name>.}); each
     *                     gets base-url {@code <wiremock>/<name>} unless given
     */
    static DeliveryHarness start(Map<String, Map<String, String>> destinations) {
        return start(destinations, null);
    }

    static DeliveryHarness start(Map<String, Map<String, String>> destinations, Path dataDir) {
        return start(destinations, dataDir, Map.of(), STANDARD_ROUTES);
    }

    /**
     * A route file's entry: for events of {@code eventType} at destination {@code %1$s}, the given steps ({@code to:}
     * URIs, in which {@code %1$s} is the destination too).
     */
    public static String route(String id, String eventType, String... steps) {
        StringBuilder yaml = new StringBuilder("""
                - route:
                    id: %1$s-ID
                    from:
                      uri: events:%1$s
                      steps:
                        - filter:
                            simple: "${header.eventType} == 'TYPE'"
                            steps:
                """.replace("ID", id).replace("TYPE", eventType));
        for (String step : steps) {
            yaml.append("                  - to: ").append(step).append('\n');
        }
        return yaml.toString();
    }

    /** Tracks to {@code single}, identifies to {@code bulk?list=newsletter}; {@code %1$s} is the destination. */
    static final String STANDARD_ROUTES = route("tracks", "track", "deliver:%1$s:single")
            + route("identifies", "identify", "deliver:%1$s:bulk?list=newsletter");

    /** Stubs under which the fake vendor takes every request (tests add more specific stubs on top). */
    void acceptEverything() {
        vendor.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(
                com.github.tomakehurst.wiremock.client.WireMock.urlMatching("/.*/events")).atPriority(10)
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.okJson("{\"ok\":true}")));
        vendor.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post(
                com.github.tomakehurst.wiremock.client.WireMock.urlMatching("/.*/members")).atPriority(10)
                .willReturn(com.github.tomakehurst.wiremock.client.WireMock.okJson("{\"failed\":[]}")));
    }

    /**
     * @param bridgeSettings more settings for the whole bridge
     * @param routes         the route file written for each destination ({@code %1$s} is the destination's name)
     */
    static DeliveryHarness start(Map<String, Map<String, String>> destinations, Path dataDir, Map<String, String> bridgeSettings,
                                 String routes) {
        WireMockServer vendor = new WireMockServer(options().dynamicPort());
        vendor.start();
        try {
            Path routeDir = TestFolders.create("bridge-delivery-routes-");
            Map<String, String> settings = new HashMap<>(bridgeSettings);
            Map<String, Object> beans = new HashMap<>();
            settings.put("bridge.destinations", String.join(",", destinations.keySet()));
            settings.put("bridge.write-keys", WRITE_KEY);
            settings.put("bridge.admin-token", ADMIN_TOKEN);
            settings.put("camel.main.routesIncludePattern", "file:" + routeDir.toAbsolutePath() + "/**/*.yaml");
            for (Map.Entry<String, Map<String, String>> destination : destinations.entrySet()) {
                String name = destination.getKey();
                settings.put("bridge.destination." + name + ".base-url", vendor.baseUrl() + "/" + name);
                destination.getValue().forEach((key, value) -> settings.put("bridge.destination." + name + "." + key, value));
                beans.put(name, new FakeVendorConnector());
                Files.createDirectories(routeDir.resolve(name));
                Files.writeString(routeDir.resolve(name).resolve("use-cases.yaml"), routes.formatted(name));
            }
            RunningBridge bridge = RunningBridge.start(dataDir == null ? TestFolders.create("bridge-delivery-") : dataDir,
                    settings, beans);
            return new DeliveryHarness(vendor, bridge);
        } catch (IOException | RuntimeException e) {
            vendor.stop();
            throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
        }
    }

    static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    static String track(String messageId, String userId) {
        return "{\"type\":\"track\",\"event\":\"Clicked\",\"userId\":\"" + userId + "\",\"messageId\":\"" + messageId + "\"}";
    }

    static String identify(String messageId, String userId) {
        return "{\"type\":\"identify\",\"userId\":\"" + userId + "\",\"messageId\":\"" + messageId + "\",\"traits\":{}}";
    }

    /** Sends events in one /v1/batch request: they are queued together, in this order. */
    void send(String... events) {
        HttpResponse<String> response = bridge.postTracking("/v1/batch", WRITE_KEY, "{\"batch\":[" + String.join(",", events) + "]}");
        if (response.statusCode() != 200) {
            throw new AssertionError("intake refused the events: " + response.body());
        }
    }

    String[] admin() {
        return new String[] {"Authorization", "Bearer " + ADMIN_TOKEN};
    }

    /** Dead letters of a destination for one messageId, as the admin endpoint lists them. */
    List<JsonNode> deadLetters(String destination, String messageId) {
        return bridge.deadLetters(destination, messageId, ADMIN_TOKEN);
    }

    /** Ids of the members or event carried by each request the fake received on a path, oldest first. */
    List<List<String>> idsPerRequest(String path) {
        return vendor.getAllServeEvents().stream()
                .filter(event -> event.getRequest().getUrl().equals(path))
                .sorted(java.util.Comparator.comparing(event -> event.getRequest().getLoggedDate()))
                .map(event -> {
                    JsonNode body = json(event.getRequest().getBodyAsString());
                    if (body.has("members")) {
                        java.util.List<String> ids = new java.util.ArrayList<>();
                        body.path("members").forEach(member -> ids.add(member.path("id").asText()));
                        return ids;
                    }
                    return List.of(body.path("id").asText());
                })
                .collect(Collectors.toList());
    }

    static JsonNode json(String text) {
        try {
            return RunningBridge.JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        try {
            bridge.close();
        } finally {
            vendor.stop();
        }
    }
}
