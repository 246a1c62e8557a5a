package org.segmentbridge.admin;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.URISupport;
import org.segmentbridge.SettingsReader;
import org.segmentbridge.delivery.RouteWarnings;
import org.segmentbridge.mapping.Mappings;

/**
 * What the bridge runs with, behind the admin token:
 * <ul>
 *   <li>{@code GET /admin/routes}: the routes loaded from route files and the mapping files, each with its validation
 *       status (a problem that would break a route or a mapping stops the start, so what runs is valid; a route may
 *       carry warnings that do not stop it yet);</li>
 *   <li>{@code GET /admin/settings}: every {@code bridge.*} and {@code camel.*} setting with its value in force,
 *       secrets masked ({@link SettingsReader#isSecret}).</li>
 * </ul>
 */
public class ConfigurationRoutes extends AdminRouteBuilder {

    private final Path mappingsDir;

    public ConfigurationRoutes(Optional<String> token, Path mappingsDir) {
        super(token);
        this.mappingsDir = mappingsDir;
    }

    @Override
    public void configure() {
        serve("GET", "/admin/routes").routeId("admin-routes")
                .process(exchange -> answer(exchange, this::routes));
        serve("GET", "/admin/settings").routeId("admin-settings")
                .process(exchange -> answer(exchange, this::settings));
    }

    private JsonNode routes() {
        RouteWarnings warnings = getContext().getRegistry().lookupByNameAndType(RouteWarnings.BEAN, RouteWarnings.class);
        ObjectNode reply = JSON.createObjectNode();
        ArrayNode routes = reply.putArray("routes");
        for (Route route : getContext().getRoutes().stream().sorted(java.util.Comparator.comparing(Route::getRouteId)).toList()) {
            if (route.getSourceResource() == null) {
                continue; // the bridge's own routes (intake, admin), not a use case
            }
            List<String> about = warnings.about(route.getRouteId());
            ServiceStatus status = getContext().getRouteController().getRouteStatus(route.getRouteId());
            ObjectNode node = routes.addObject()
                    .put("id", route.getRouteId())
                    .put("file", warnings.fileOf(route.getRouteId()).orElse(route.getSourceResource().getLocation()))
                    .put("from", URISupport.sanitizeUri(route.getEndpoint().getEndpointUri()))
                    .put("status", status == null ? "Unknown" : status.name())
                    .put("validation", about.isEmpty() ? "valid" : "warnings");
            about.forEach(node.putArray("warnings")::add);
        }
        ArrayNode mappings = reply.putArray("mappings");
        Mappings loaded = getContext().getRegistry().lookupByNameAndType("mappings", Mappings.class);
        if (loaded != null) {
            for (String name : loaded.names()) {
                mappings.addObject().put("name", name).put("file", mappingsDir.resolve(name + ".yaml").toString())
                        .put("validation", "valid");
            }
        }
        warnings.all().forEach(reply.putArray("warnings")::add);
        return reply;
    }

    private JsonNode settings() {
        PropertiesComponent properties = getContext().getPropertiesComponent();
        Properties defined = properties.loadProperties(key -> key.startsWith("bridge.") || key.startsWith("camel."));
        ArrayNode settings = JSON.createArrayNode();
        for (String key : new TreeSet<>(defined.stringPropertyNames())) {
            ObjectNode node = settings.addObject().put("key", key).put("secret", SettingsReader.isSecret(key));
            try {
                String value = properties.resolveProperty(key).orElse("");
                node.put("value", SettingsReader.shown(key, value)).put("set", !value.isBlank());
            } catch (RuntimeException unresolvable) {
                // Its message could quote the value; the key is enough to look it up.
                node.putNull("value").put("set", false).put("problem", "the value cannot be resolved");
            }
        }
        ObjectNode reply = JSON.createObjectNode().put("count", settings.size());
        reply.set("settings", settings);
        return reply;
    }
}
