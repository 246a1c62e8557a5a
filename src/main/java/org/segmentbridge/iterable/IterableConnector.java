package org.segmentbridge.iterable;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.AwaitingLookup;
import org.segmentbridge.delivery.Actions;
import org.segmentbridge.delivery.ActionException;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.Lookups;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.TemporaryFailure;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.state.ClusterLocks;
import org.segmentbridge.state.StoreFailures;

/**
 * Iterable: users, events, purchases, carts, lists, unsubscribes and erasure, authenticated with {@code Api-Key}.
 * The project type (setting {@code project-type}: {@code email}, {@code userId} or {@code hybrid}) decides whether
 * people are identified by email or userId: exactly one of them is ever sent.
 */
public final class IterableConnector implements Connector {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter ITERABLE_DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss '+00:00'");
    /** A date with a time: Iterable only recognises dates in its own format, so these are rewritten. */
    private static final Pattern DATE_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}.*");
    private static final Pattern WITH_OFFSET = Pattern.compile(".*(Z|[+-]\\d{2}:?\\d{2})$");

    private final Actions actions = new Actions("Iterable",
            new UpdateEmail(), new UserUpdate(), new UserBulkUpdate(), new TrackEvent(), new TrackEventBulk(),
            new Purchase(), new Cart(), new ListSubscribe(this), new ListUnsubscribe(this), new Audience(this),
            new Unsubscribe(), new Subscribe(), new Erase());
    private final Map<String, Long> lists = new ConcurrentHashMap<>();
    private final Lookups lookups = new Lookups();
    private volatile VendorTransport transport;
    private volatile ClusterLocks locks;

    @Override
    public Actions actions() {
        return actions;
    }

    @Override
    public void useTransport(VendorTransport transport) {
        this.transport = transport;
    }

    @Override
    public boolean hasCredentials(DestinationSettings settings) {
        return settings.value("api-key").isPresent();
    }

    @Override
    public String credentialId(DestinationSettings settings) {
        String key = settings.value("api-key").orElse("");
        return "iterable:" + (key.length() > 6 ? key.substring(0, 6) : key);
    }

    @Override
    public OutboundRequest authorize(OutboundRequest request, DestinationSettings settings) {
        return request.withHeader("Api-Key", settings.requiredValue("api-key"));
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of("Api-Key");
    }

    // ---- identity and shapes shared by the actions ------------------------------------------------------------

    /** A POST of a JSON body to one of Iterable's endpoints ({@code path} under the destination's base URL). */
    static OutboundRequest post(String path, String json, DestinationSettings settings) {
        return OutboundRequest.json("POST", URI.create(settings.baseUrl() + path), json);
    }

    /** The identifier field for this event under the project type: {"email": ...} or {"userId": ...}, never both. */
    static ObjectNode identifier(Action.Input input, String action) {
        String type = input.settings().value("project-type").orElse("email");
        String userId = input.event().path("userId").asText("");
        String email = email(input);
        ObjectNode id = JSON.createObjectNode();
        switch (type) {
            case "email" -> id.put("email", require(email, "an email", action));
            case "userId" -> id.put("userId", require(userId, "a userId", action));
            case "hybrid" -> {
                if (!userId.isEmpty()) {
                    id.put("userId", userId);
                } else {
                    id.put("email", require(email, "a userId or an email", action));
                }
            }
            default -> throw new ActionException("Setting bridge.destination." + input.settings().name()
                    + ".project-type must be email, userId or hybrid, got '" + type + "'");
        }
        return id;
    }

    private static String email(Action.Input input) {
        if (input.primaryKey() != null) {
            return input.primaryKey();
        }
        for (JsonNode candidate : new JsonNode[] {input.event().path("traits").path("email"),
                input.event().path("context").path("traits").path("email")}) {
            if (candidate.isTextual() && !candidate.asText().isBlank()) {
                return candidate.asText().trim();
            }
        }
        return "";
    }

    private static String require(String value, String what, String action) {
        if (value.isEmpty()) {
            throw new ActionException("iterable " + action + " needs " + what + " for this project type");
        }
        return value;
    }

    /** The identifier an item was sent with, for matching Iterable's per-user failures back to it. */
    static String identifierOf(JsonNode payload) {
        JsonNode user = payload.has("user") ? payload.get("user") : payload;
        return user.hasNonNull("email") ? user.get("email").asText() : user.path("userId").asText();
    }

    /**
     * dataFields as Iterable reads them: ISO date-times become {@code yyyy-MM-dd HH:mm:ss +00:00} in UTC (Iterable
     * recognises dates only in that form); date-only strings and anything that is not a date are left as they are.
     */
    static JsonNode withIterableDates(JsonNode value) {
        if (value.isObject()) {
            ObjectNode converted = JSON.createObjectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                converted.set(field.getKey(), withIterableDates(field.getValue()));
            }
            return converted;
        }
        if (value.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode converted = JSON.createArrayNode();
            value.forEach(element -> converted.add(withIterableDates(element)));
            return converted;
        }
        if (value.isTextual() && DATE_TIME.matcher(value.asText()).matches()) {
            try {
                OffsetDateTime at = WITH_OFFSET.matcher(value.asText()).matches()
                        ? OffsetDateTime.parse(value.asText())
                        : java.time.LocalDateTime.parse(value.asText()).atOffset(ZoneOffset.UTC);
                return TextNode.valueOf(ITERABLE_DATE.format(at.withOffsetSameInstant(ZoneOffset.UTC)));
            } catch (DateTimeParseException notADate) {
                return value;
            }
        }
        return value;
    }

    /** The event's time as unix seconds, Iterable's createdAt. */
    static long createdAt(JsonNode event) {
        try {
            return Instant.parse(event.path("timestamp").asText()).getEpochSecond();
        } catch (DateTimeParseException e) {
            return Instant.now().getEpochSecond();
        }
    }

    // ---- lists --------------------------------------------------------------------------------------------------

    /**
     * The id of the static list with this name: found with GET /api/lists, or created once with POST /api/lists.
     * Several bridges may need the same new list at the same moment: creating it is done under a lock all of them
     * respect ({@link #useLocks}), and the one holding it asks Iterable again before it creates anything, so a list
     * another bridge created meanwhile is found, not made twice. A found id is kept: a list's id never changes.
     *
     * @throws AwaitingLookup while it is being looked up (asked again once the lookup answered, it is known)
     */
    String listId(String name, DestinationSettings settings) {
        if (!hasCredentials(settings)) {
            return "name:" + name;
        }
        Long known = lists.get(name);
        if (known != null) {
            return known.toString();
        }
        throw lookups.awaiting("Iterable's id of list '" + name + "' (GET /api/lists)", () -> lists.containsKey(name)
                ? CompletableFuture.completedFuture(null)
                : findList(name, settings).thenCompose(found -> found ? CompletableFuture.completedFuture(null)
                        : createList(name, settings)));
    }

    /** The cluster-wide locks list creation is done under; without them (tools, tests), only this bridge is minded. */
    void useLocks(ClusterLocks locks) {
        this.locks = locks;
    }

    /** GET /api/lists, every list's id kept: true when one has this name. */
    private CompletableFuture<Boolean> findList(String name, DestinationSettings settings) {
        return call("GET", "/api/lists", null, settings).thenApply(found -> {
            for (JsonNode list : found.path("lists")) {
                lists.put(list.path("name").asText(), list.path("id").asLong());
            }
            return lists.containsKey(name);
        });
    }

    private CompletableFuture<Void> createList(String name, DestinationSettings settings) {
        Supplier<CompletableFuture<Void>> create = () -> call("POST", "/api/lists",
                JSON.createObjectNode().put("name", name).toString(), settings)
                .thenAccept(created -> lists.put(name, created.path("listId").asLong()));
        ClusterLocks cluster = locks;
        if (cluster == null) {
            return create.get();
        }
        return cluster.holding("Iterable's list '" + name + "'", settings.baseUrl() + " " + credentialId(settings),
                        () -> findList(name, settings).thenCompose(found -> found ? CompletableFuture.completedFuture(null) : create.get()))
                .exceptionally(failure -> {
                    RuntimeException cause = AwaitingLookup.failureOf(failure);
                    if (cause instanceof ClusterLocks.Busy || StoreFailures.isUnavailable(cause)) {
                        throw new TemporaryFailure("Iterable's list '" + name + "' could not be created yet: " + cause.getMessage(), cause);
                    }
                    throw cause;
                });
    }

    /** A lookup through the shared transport: the answer's JSON; a 429, 5xx or no answer fails it as temporary. */
    private CompletableFuture<JsonNode> call(String method, String path, String body, DestinationSettings settings) {
        URI uri = URI.create(settings.baseUrl() + path);
        OutboundRequest request = authorize(body == null ? new OutboundRequest(method, uri, Map.of(), new byte[0])
                : OutboundRequest.json(method, uri, body), settings);
        return transport.call("lookup", request, settings, credentialId(settings)).handle((answer, failure) -> {
            if (failure != null) {
                throw new TemporaryFailure("Iterable could not be asked " + method + " " + path + ": "
                        + AwaitingLookup.failureOf(failure).getMessage(), failure);
            }
            return read(answer, method, path);
        });
    }

    private static JsonNode read(VendorAnswer answer, String method, String path) {
        if (answer.status() == 429 || answer.status() >= 500) {
            throw new TemporaryFailure("Iterable answered " + method + " " + path + " with HTTP " + answer.status(), null);
        }
        if (!answer.isSuccess()) {
            throw new IllegalStateException("Iterable answered " + method + " " + path + " with HTTP " + answer.status()
                    + ": " + answer.bodyText());
        }
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new IllegalStateException("Iterable answered " + method + " " + path + " with a body that is not JSON", e);
        }
    }
}
