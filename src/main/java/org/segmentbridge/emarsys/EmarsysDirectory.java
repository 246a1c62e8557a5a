package org.segmentbridge.emarsys;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.DestinationSettings;

/**
 * Emarsys ids behind the names routes and mappings use: fields ({@code GET /field}, read once), external events
 * ({@code GET /event}, read again when a name is missing) and contact lists ({@code GET /contactlist}, a missing list
 * created once with {@code POST /contactlist}, even when many events ask for it at the same moment).
 *
 * <p>Without credentials (dry-run, {@code try}) nothing can be looked up: a name is shown as {@code name:<name>} so
 * the printed request says what would be resolved.
 */
final class EmarsysDirectory {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmarsysHttp calls;
    private final Map<String, String> fields = new ConcurrentHashMap<>();
    private final Map<String, String> events = new ConcurrentHashMap<>();
    private final Map<String, String> lists = new ConcurrentHashMap<>();
    private volatile boolean fieldsLoaded;

    EmarsysDirectory(HttpClient http) {
        this.calls = new EmarsysHttp(http);
    }

    /** A field id for a mapping target: ids pass through, names resolve via the account's fields. */
    String fieldId(String nameOrId, DestinationSettings settings, Optional<EmarsysAuth> auth) {
        if (isId(nameOrId) || auth.isEmpty()) {
            return nameOrId;
        }
        if (!fieldsLoaded) {
            synchronized (fields) {
                if (!fieldsLoaded) {
                    loadNamed(get("/field", settings, auth.get()), fields);
                    fieldsLoaded = true;
                }
            }
        }
        String id = fields.get(nameOrId);
        if (id == null) {
            throw new IllegalArgumentException("Emarsys has no contact field named '" + nameOrId + "' (GET /field)");
        }
        return id;
    }

    String eventId(String nameOrId, DestinationSettings settings, Optional<EmarsysAuth> auth) {
        if (isId(nameOrId)) {
            return nameOrId;
        }
        if (auth.isEmpty()) {
            return placeholder(nameOrId);
        }
        String id = events.get(nameOrId);
        if (id == null) {
            synchronized (events) {
                id = events.get(nameOrId);
                if (id == null) {
                    loadNamed(get("/event", settings, auth.get()), events);
                    id = events.get(nameOrId);
                }
            }
        }
        if (id == null) {
            throw new IllegalArgumentException("Emarsys has no external event named '" + nameOrId
                    + "' (GET /event); create it in Emarsys or use its id");
        }
        return id;
    }

    String listId(String name, String keyField, DestinationSettings settings, Optional<EmarsysAuth> auth) {
        if (auth.isEmpty()) {
            return placeholder(name);
        }
        String known = lists.get(name);
        if (known != null) {
            return known;
        }
        synchronized (lists) {
            known = lists.get(name);
            if (known != null) {
                return known;
            }
            loadNamed(get("/contactlist", settings, auth.get()), lists);
            known = lists.get(name);
            if (known == null) {
                JsonNode created = send("POST", "/contactlist", JSON.createObjectNode().put("name", name).put("key_id", keyField)
                        .set("external_ids", JSON.createArrayNode()).toString(), settings, auth.get());
                known = created.path("data").path("id").asText();
                if (known.isEmpty()) {
                    throw new IllegalStateException("Emarsys created list '" + name + "' without returning its id");
                }
                lists.put(name, known);
            }
            return known;
        }
    }

    private static boolean isId(String value) {
        return !value.isEmpty() && value.chars().allMatch(Character::isDigit);
    }

    private static String placeholder(String name) {
        return "name:" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void loadNamed(JsonNode answer, Map<String, String> into) {
        Map<String, String> found = new HashMap<>();
        for (JsonNode entry : answer.path("data")) {
            if (entry.hasNonNull("name") && entry.hasNonNull("id")) {
                found.put(entry.get("name").asText(), entry.get("id").asText());
            }
        }
        into.putAll(found);
    }

    private JsonNode get(String path, DestinationSettings settings, EmarsysAuth auth) {
        return send("GET", path, null, settings, auth);
    }

    private JsonNode send(String method, String path, String body, DestinationSettings settings, EmarsysAuth auth) {
        return calls.send(method, path, body, settings, auth);
    }

}
