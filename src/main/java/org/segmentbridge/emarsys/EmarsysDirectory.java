package org.segmentbridge.emarsys;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.Lookups;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.state.ClusterLocks;
import org.segmentbridge.state.StoreFailures;

/**
 * Emarsys ids behind the names routes and mappings use: fields ({@code GET /field}, read once), external events
 * ({@code GET /event}, read again when a name is missing) and contact lists ({@code GET /contactlist}, a missing list
 * created once with {@code POST /contactlist}, even when many events, in several bridges, ask for it at the same
 * moment).
 *
 * <p>A name not known yet is looked up asynchronously: the caller gets an {@link AwaitingLookup} and asks again once
 * the lookup has answered, by which time the id is here. Concurrent askers share one lookup.
 *
 * <p>Without credentials (dry-run, {@code try}) nothing can be looked up: a name is shown as {@code name:<name>} so
 * the printed request says what would be resolved.
 */
final class EmarsysDirectory {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the vendor metrics count these calls as. */
    private static final String PURPOSE = "lookup";

    private final EmarsysHttp calls;
    private final Lookups lookups = new Lookups();
    private final Map<String, String> fields = new ConcurrentHashMap<>();
    private final Map<String, String> events = new ConcurrentHashMap<>();
    private final Map<String, String> lists = new ConcurrentHashMap<>();
    private volatile boolean fieldsLoaded;
    private volatile ClusterLocks locks;

    EmarsysDirectory(EmarsysHttp calls) {
        this.calls = calls;
    }

    /** A field id for a mapping target: ids pass through, names resolve via the account's fields. */
    String fieldId(String nameOrId, DestinationSettings settings, Optional<EmarsysAuth> auth) {
        if (isId(nameOrId) || auth.isEmpty()) {
            return nameOrId;
        }
        if (!fieldsLoaded) {
            throw lookups.awaiting("Emarsys' contact fields (GET /field)", () -> fieldsLoaded
                    ? CompletableFuture.completedFuture(null)
                    : get("/field", settings, auth.get()).thenAccept(answer -> {
                        loadNamed(answer, fields);
                        fieldsLoaded = true;
                    }));
        }
        String id = fields.get(nameOrId);
        if (id == null) {
            throw new IllegalArgumentException("Emarsys has no contact field named '" + nameOrId + "' (GET /field)");
        }
        return id;
    }

    /** An external event's id: ids pass through; a name not known yet reads the events again. */
    String eventId(String nameOrId, DestinationSettings settings, Optional<EmarsysAuth> auth) {
        if (isId(nameOrId)) {
            return nameOrId;
        }
        if (auth.isEmpty()) {
            return placeholder(nameOrId);
        }
        String id = events.get(nameOrId);
        if (id != null) {
            return id;
        }
        throw lookups.awaiting("Emarsys' id of external event '" + nameOrId + "' (GET /event)", () -> events.containsKey(nameOrId)
                ? CompletableFuture.completedFuture(null)
                : get("/event", settings, auth.get()).thenAccept(answer -> {
                    loadNamed(answer, events);
                    if (!events.containsKey(nameOrId)) {
                        throw new IllegalArgumentException("Emarsys has no external event named '" + nameOrId
                                + "' (GET /event); create it in Emarsys or use its id");
                    }
                }));
    }

    /**
     * A contact list's id: found with {@code GET /contactlist}, or created once. Several bridges may need the same new
     * list at the same moment: creating it is done under a lock all of them respect ({@link #useLocks}), and the one
     * holding it reads the lists again before it creates anything, so a list another bridge created meanwhile is
     * found, not made twice. A found id is kept: a list's id never changes.
     */
    String listId(String name, String keyField, DestinationSettings settings, Optional<EmarsysAuth> auth) {
        if (auth.isEmpty()) {
            return placeholder(name);
        }
        String known = lists.get(name);
        if (known != null) {
            return known;
        }
        throw lookups.awaiting("Emarsys' id of contact list '" + name + "' (GET /contactlist)", () -> lists.containsKey(name)
                ? CompletableFuture.completedFuture(null)
                : findList(name, settings, auth.get()).thenCompose(found -> found ? CompletableFuture.completedFuture(null)
                        : createOnce(name, keyField, settings, auth.get())));
    }

    /** The cluster-wide locks list creation is done under; without them (tools, tests), only this bridge is minded. */
    void useLocks(ClusterLocks locks) {
        this.locks = locks;
    }

    /** GET /contactlist, every list's id kept: true when one has this name. */
    private CompletableFuture<Boolean> findList(String name, DestinationSettings settings, EmarsysAuth auth) {
        return get("/contactlist", settings, auth).thenApply(answer -> {
            loadNamed(answer, lists);
            return lists.containsKey(name);
        });
    }

    private CompletableFuture<Void> createOnce(String name, String keyField, DestinationSettings settings, EmarsysAuth auth) {
        ClusterLocks cluster = locks;
        if (cluster == null) {
            return create(name, keyField, settings, auth);
        }
        return cluster.holding("Emarsys' contact list '" + name + "'", EmarsysAuth.baseUrl(settings) + " " + auth.credentialId(),
                        () -> findList(name, settings, auth).thenCompose(found -> found ? CompletableFuture.completedFuture(null)
                                : create(name, keyField, settings, auth)))
                .exceptionally(failure -> {
                    RuntimeException cause = AwaitingLookup.failureOf(failure);
                    if (cause instanceof ClusterLocks.Busy || StoreFailures.isUnavailable(cause)) {
                        throw new TemporaryFailure("Emarsys' contact list '" + name + "' could not be created yet: "
                                + cause.getMessage(), cause);
                    }
                    throw cause;
                });
    }

    private CompletableFuture<Void> create(String list, String keyField, DestinationSettings settings, EmarsysAuth auth) {
        String body = JSON.createObjectNode().put("name", list).put("key_id", keyField).set("external_ids", JSON.createArrayNode()).toString();
        return calls.send(PURPOSE, "POST", "/contactlist", body, settings, auth).thenAccept(created -> {
            String id = created.path("data").path("id").asText();
            if (id.isEmpty()) {
                throw new IllegalStateException("Emarsys created list '" + list + "' without returning its id");
            }
            lists.put(list, id);
        });
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

    private CompletableFuture<JsonNode> get(String path, DestinationSettings settings, EmarsysAuth auth) {
        return calls.send(PURPOSE, "GET", path, null, settings, auth);
    }
}
