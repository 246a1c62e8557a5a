package org.segmentbridge.identity;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import org.segmentbridge.mapping.PropertyPath;
import org.segmentbridge.state.ErasesPeople;
import org.segmentbridge.state.PersonKeys;
import org.segmentbridge.state.StateStore;

/**
 * Who is who: every event's {@code userId}, {@code anonymousId} (and an alias's {@code previousId}) are linked to one
 * person, who has the primary key vendors need (by default the email, read from the first of the configured
 * JSONPaths that has a value). Any destination can then resolve the key for an event that lacks it, and order a
 * person's events across their anonymous and identified ids.
 */
public final class IdentityStore implements ErasesPeople {

    private static final Configuration JSON_PATHS = Configuration.builder()
            .jsonProvider(new JacksonJsonNodeJsonProvider()).mappingProvider(new JacksonMappingProvider())
            .options(Option.SUPPRESS_EXCEPTIONS).build();

    /** Set on an event ({@code context.bridge.previousKey}) that changes its person's primary key, to the old key. */
    public static final String PREVIOUS_KEY_FIELD = "previousKey";

    /**
     * The longest userId, anonymousId, alias previousId or primary key the store keeps. Its columns hold 512
     * characters, and the consent and threshold stores write an id behind its kind ({@code anonymous:...}); no real id
     * or email comes near this.
     */
    public static final int MAX_IDENTIFIER_LENGTH = 500;

    /** A person as the store knows them. */
    public record Person(String id, Optional<String> primaryKey) {
    }

    /**
     * An id or key the store cannot keep: longer than it keeps, or holding a NUL character (PostgreSQL's text cannot,
     * so neither database is asked to). {@link #field()} names it as a path into the event.
     */
    public static final class UnstorableIdentifier extends IllegalArgumentException {
        private final String field;

        UnstorableIdentifier(String field, String what, String value) {
            super(field + what + (value.indexOf(NUL) >= 0 ? " contains a NUL character (\\u0000), which the bridge does not keep"
                    : " is " + value.length() + " characters long; the bridge keeps ids and keys of at most " + MAX_IDENTIFIER_LENGTH), null);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    private final StateStore stateStore;
    /** Each key path as a reader of the event: the value it names, or a missing node. */
    private final List<java.util.function.Function<JsonNode, JsonNode>> keyPaths;
    /** The key paths as the event's fields, e.g. {@code traits.email}, to name them in errors. */
    private final List<String> keyFields = new ArrayList<>();
    /**
     * Which person an identifier belongs to, as last read: delivery asks for every event at every destination. An
     * identifier only changes person when persons merge, an identifier is moved, or a person is erased; each of
     * those forgets everything remembered (also once their transaction has committed, so nothing read in between
     * stays).
     *
     * <p>That is only true while this process makes every such change itself, so the memory is used only when the
     * state is the embedded H2 file, which no other process can open ({@link StateStore#ownedByThisProcess()}). On a
     * database server other bridges may share (cluster mode), another bridge merges, moves or erases without this
     * one hearing of it, and an answer remembered here would be stale from that moment: a person's events would be
     * ordered in two lanes, and a rule keyed by the person would see a second person. A bounded age would only make
     * that window shorter, and checking an answer costs the same query as reading it, so there every question reads
     * the store (one primary-key lookup).
     */
    private final Map<String, String> rememberedPersons = lastUsed();
    /**
     * Each remembered person's primary key, as the processor last linked or read it: with {@link #rememberedPersons}
     * it lets the processor pass a returning person's event (every id already theirs, the key already theirs) without
     * reading the store. A key only changes in the processor's own links (which update this) and in merges (which
     * forget); guarded by the lock of {@link #rememberedPersons} and forgotten with it.
     */
    private final Map<String, String> rememberedKeys = lastUsed();
    private static final int REMEMBERED_PERSONS = 20_000;
    /**
     * How often the memory was cleared (every merge, moved identifier and erasure clears it): a transaction remembers
     * what it linked, and a read what it found, only if it was not cleared meanwhile.
     */
    private final java.util.concurrent.atomic.AtomicLong forgets = new java.util.concurrent.atomic.AtomicLong();

    /** A bounded memory that forgets what was used longest ago. */
    private static Map<String, String> lastUsed() {
        return java.util.Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > REMEMBERED_PERSONS;
            }
        });
    }

    /** @param keyPaths JSONPaths read in order for the primary key, e.g. {@code $.traits.email} */
    public IdentityStore(StateStore stateStore, List<String> keyPaths) {
        this.stateStore = stateStore;
        this.keyPaths = new ArrayList<>();
        for (String path : keyPaths) {
            try {
                this.keyPaths.add(keyReader(path.trim()));
                this.keyFields.add(path.trim().replaceFirst("^\\$\\.?", ""));
            } catch (InvalidPathException | IllegalArgumentException e) {
                throw new IllegalArgumentException("Setting bridge.identity.key-paths: '" + path + "' is not a JSONPath: " + e.getMessage());
            }
        }
        if (this.keyPaths.isEmpty()) {
            throw new IllegalArgumentException("Setting bridge.identity.key-paths is empty: name at least one JSONPath");
        }
    }

    /**
     * The intake reads the key of every event twice (storable? then linked): a plain chain of names is read as a JSON
     * pointer ({@link PropertyPath}), a tenth of the cost of evaluating the same JSONPath, and with the same answer.
     */
    private static java.util.function.Function<JsonNode, JsonNode> keyReader(String path) {
        JsonPath compiled = JsonPath.compile(path);
        Optional<com.fasterxml.jackson.core.JsonPointer> pointer = PropertyPath.pointerOf(path);
        if (pointer.isPresent()) {
            return event -> event.at(pointer.get());
        }
        return event -> compiled.read(event, JSON_PATHS) instanceof JsonNode node ? node
                : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /** The event's own primary key, if it carries one. */
    public Optional<String> keyIn(JsonNode event) {
        int path = keyPathIn(event);
        return path < 0 ? Optional.empty() : Optional.of(keyAt(event, path));
    }

    /** Which of the key paths gives the event's key, or -1. */
    private int keyPathIn(JsonNode event) {
        for (int i = 0; i < keyPaths.size(); i++) {
            JsonNode node = keyPaths.get(i).apply(event);
            if (node.isValueNode() && !node.isNull() && !node.asText().isBlank()) {
                return i;
            }
        }
        return -1;
    }

    private String keyAt(JsonNode event, int path) {
        return keyPaths.get(path).apply(event).asText().trim();
    }

    /**
     * Checks that the store can keep what {@link #observe} would record of this event: its ids and its key.
     *
     * @throws UnstorableIdentifier naming the first that is too long or holds a NUL character
     */
    public void requireStorable(JsonNode event) {
        List<String> ids = "alias".equals(event.path("type").asText()) ? List.of("userId", "anonymousId", "previousId")
                : List.of("userId", "anonymousId");
        for (String field : ids) {
            Optional<String> value = text(event, field);
            if (value.isPresent() && !storable(value.get())) {
                throw new UnstorableIdentifier(field, "", value.get());
            }
        }
        int path = keyPathIn(event);
        if (path >= 0 && !storable(keyAt(event, path))) {
            throw new UnstorableIdentifier(keyFields.get(path), " (the person's key, bridge.identity.key-paths)", keyAt(event, path));
        }
    }

    private static final char NUL = '\u0000';

    private static boolean storable(String identifier) {
        return identifier.length() <= MAX_IDENTIFIER_LENGTH && identifier.indexOf(NUL) < 0;
    }

    /**
     * Records what these events say about who is who, in a transaction of its own, committed before the events are
     * queued: a destination reading an event must find its person already linked, or it would order that event apart
     * from the person's others. Repeating this for a resent event changes nothing.
     *
     * @return persons whose primary key became known (see {@link #observe})
     */
    public Set<String> observeAll(List<? extends JsonNode> events, Instant now) throws SQLException {
        long forgottenBefore = forgets.get();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return observeAllInOneTransaction(events, now);
                } catch (SQLException e) {
                    // Two requests about the same new person both create them; the second loses on the unique key.
                    // Read again, the first one's person is there to link to.
                    if (attempt >= MAX_ATTEMPTS || e.getSQLState() == null || !e.getSQLState().startsWith("23")) {
                        throw e;
                    }
                }
            }
        } finally {
            // Cleared while the batch ran: again once it is committed, so nothing read before its commit survives.
            if (forgets.get() != forgottenBefore) {
                forgetRemembered();
            }
        }
    }

    private static final int MAX_ATTEMPTS = 3;

    /** Forgets which person each identifier belongs to; the next question reads the store. */
    public void forgetRemembered() {
        synchronized (rememberedPersons) {
            forgets.incrementAndGet();
            rememberedPersons.clear();
            rememberedKeys.clear();
        }
    }

    private Set<String> observeAllInOneTransaction(List<? extends JsonNode> events, Instant now) throws SQLException {
        Set<String> newlyKeyed = new LinkedHashSet<>();
        Learned learned = new Learned(new HashMap<>(), new HashMap<>());
        long forgotten = forgets.get();
        try (Connection transaction = stateStore.dataSource().getConnection()) {
            transaction.setAutoCommit(false);
            try {
                for (JsonNode event : events) {
                    newlyKeyed.addAll(observe(transaction, event, now, learned));
                }
                transaction.commit();
            } catch (SQLException | RuntimeException e) {
                transaction.rollback();
                throw e;
            }
        }
        // Every destination asks for the person of each event these ids are on, right after: what was just linked is
        // the answer (see rememberedPersons). Unless something was forgotten meanwhile (a merge in this batch, an
        // erasure committed beside it): what this transaction saw may be stale then, and the store is asked instead.
        if (stateStore.ownedByThisProcess()) {
            synchronized (rememberedPersons) {
                if (forgets.get() == forgotten) {
                    rememberedPersons.putAll(learned.persons());
                    rememberedKeys.putAll(learned.keys());
                }
            }
        }
        return newlyKeyed;
    }

    /**
     * Links the event's ids (and its key) to one person, merging persons an event shows to be one (an identify with
     * both ids, an alias), inside the caller's transaction.
     *
     * @param learned gets each of the event's ids ({@code kind:identifier}) with the person it now names, and that
     *                person's key
     * @return persons whose primary key became known with this event, by the event's own key or by a merge with a
     *         person who had one (their pending events can now go)
     */
    private Set<String> observe(Connection transaction, JsonNode event, Instant now, Learned learned) throws SQLException {
        Map<String, String> ids = new LinkedHashMap<>();
        text(event, "userId").ifPresent(value -> ids.put("user:" + value, null));
        text(event, "anonymousId").ifPresent(value -> ids.put("anonymous:" + value, null));
        Optional<String> previousId = "alias".equals(event.path("type").asText()) ? text(event, "previousId") : Optional.empty();
        if (previousId.isPresent()) {
            ids.put(previousKind(transaction, previousId.get()) + ":" + previousId.get(), null);
        }
        if (ids.isEmpty()) {
            return Set.of();
        }
        Optional<String> key = keyIn(event);
        Optional<String> returning = previousId.isEmpty() ? rememberedAsUnchanged(ids.keySet(), key) : Optional.empty();
        if (returning.isPresent()) {
            // Most traffic: a returning person, as this process last linked them, and nothing forgotten since.
            ids.keySet().forEach(id -> learned.persons().put(id, returning.get()));
            return Set.of();
        }
        Set<String> persons = new LinkedHashSet<>();
        int linked = 0;
        for (String id : ids.keySet()) {
            Optional<String> person = personOf(transaction, kind(id), value(id));
            if (person.isPresent()) {
                persons.add(person.get());
                linked++;
            }
        }
        if (linked == ids.size() && persons.size() == 1) {
            String person = persons.iterator().next();
            Optional<String> personsKey = key.isEmpty() ? Optional.empty() : primaryKeyOf(transaction, person);
            if (key.isEmpty() || key.equals(personsKey)) {
                // Every id already names this one person, who already has this key: linking and keying would change
                // nothing, so nothing is written (most returning traffic; no merge, no rename, no newly keyed person).
                ids.keySet().forEach(id -> learned.persons().put(id, person));
                personsKey.ifPresent(known -> learned.keys().put(person, known));
                return Set.of();
            }
        }
        if (persons.isEmpty()) {
            return observeNewPerson(transaction, ids.keySet(), key, now, learned);
        }
        String survivor = chooseSurvivor(transaction, persons);
        boolean hadKey = primaryKeyOf(transaction, survivor).isPresent();
        boolean merged = false;
        for (String other : persons) {
            if (!other.equals(survivor)) {
                merge(transaction, other, survivor, now);
                merged = true;
            }
        }
        for (String id : ids.keySet()) {
            link(transaction, kind(id), value(id), survivor);
            learned.persons().put(id, survivor);
        }
        if (key.isPresent()) {
            Optional<String> before = primaryKeyOf(transaction, survivor);
            if (before.isPresent() && !before.get().equalsIgnoreCase(key.get()) && event instanceof ObjectNode changed) {
                // The one moment old and new key are both known: vendors keyed by email rename the person with it.
                changed.with("context").with("bridge").put(PREVIOUS_KEY_FIELD, before.get());
            }
            // Later events of this batch must not pass on the key remembered from before; the new one is remembered
            // once committed.
            synchronized (rememberedPersons) {
                rememberedKeys.remove(survivor);
            }
            setKey(transaction, survivor, key.get(), now);
            learned.keys().put(survivor, key.get());
        }
        boolean hasKey = primaryKeyOf(transaction, survivor).isPresent();
        return hasKey && (!hadKey || merged) ? Set.of(survivor) : Set.of();
    }

    /**
     * An event none of whose ids names anyone yet, as this transaction just read: a person of its own, with its key,
     * and a new row for each id. Nothing to merge, no key before it, no link to move: five statements for an event with
     * two ids and a key, where the general path's checks took thirteen (most of the processor's identity work when new
     * people arrive).
     *
     * @return the person when the event made their key known (see {@link #observe}), else nothing
     */
    private Set<String> observeNewPerson(Connection transaction, Set<String> ids, Optional<String> key, Instant now,
                                         Learned learned) throws SQLException {
        String person = createPerson(transaction, key.orElse(null), now);
        for (String id : ids) {
            insertLink(transaction, kind(id), value(id), person);
            learned.persons().put(id, person);
        }
        key.ifPresent(known -> learned.keys().put(person, known));
        return key.isPresent() ? Set.of(person) : Set.of();
    }

    /** What a batch's links taught: each id ({@code kind:identifier}) with its person, and persons' keys. */
    private record Learned(Map<String, String> persons, Map<String, String> keys) {
    }

    /**
     * The person every one of the ids is remembered to name, when that person's remembered key is the event's own (or
     * the event has none): the event would change nothing in the store. Only on the store this process alone changes.
     */
    private Optional<String> rememberedAsUnchanged(Set<String> ids, Optional<String> key) {
        if (!stateStore.ownedByThisProcess()) {
            return Optional.empty();
        }
        synchronized (rememberedPersons) {
            String person = null;
            for (String id : ids) {
                String named = rememberedPersons.get(id);
                if (named == null || (person != null && !person.equals(named))) {
                    return Optional.empty();
                }
                person = named;
            }
            if (key.isPresent() && !key.get().equals(rememberedKeys.get(person))) {
                return Optional.empty();
            }
            return Optional.ofNullable(person);
        }
    }

    /**
     * The id of the person behind an event's ids (userId first, as {@link #find}): delivery orders every event of
     * every destination by it. Remembered when the state is this process's own, else read (see
     * {@link #rememberedPersons}).
     */
    public Optional<String> personIdOf(String userId, String anonymousId) {
        try {
            if (!stateStore.ownedByThisProcess()) {
                // Shared with other bridges: read, never remembered (see rememberedPersons).
                try (Connection connection = stateStore.dataSource().getConnection()) {
                    return currentPersonIdOf(connection, userId, anonymousId);
                }
            }
            Optional<String> person = Optional.empty();
            if (userId != null && !userId.isBlank()) {
                person = remembered("user", userId);
            }
            if (person.isEmpty() && anonymousId != null && !anonymousId.isBlank()) {
                person = remembered("anonymous", anonymousId);
            }
            return person;
        } catch (SQLException e) {
            throw new IllegalStateException("the identity store could not be read: " + e.getMessage(), e);
        }
    }

    private Optional<String> remembered(String kind, String identifier) throws SQLException {
        String cacheKey = kind + ":" + identifier;
        String known = rememberedPersons.get(cacheKey);
        if (known != null) {
            return Optional.of(known);
        }
        long forgotten = forgets.get();
        Optional<String> person;
        try (Connection connection = stateStore.dataSource().getConnection()) {
            person = personOf(connection, kind, identifier);
        }
        // A read that a merge, a move or an erasure overtook is used once, not remembered.
        synchronized (rememberedPersons) {
            if (person.isPresent() && forgets.get() == forgotten) {
                rememberedPersons.put(cacheKey, person.get());
            }
        }
        return person;
    }

    /**
     * The id of the person behind an event's ids as the store has it now (userId first), never remembered: for a
     * decision that must hold across bridges, read on the caller's connection.
     */
    Optional<String> currentPersonIdOf(Connection connection, String userId, String anonymousId) throws SQLException {
        Optional<String> person = Optional.empty();
        if (userId != null && !userId.isBlank()) {
            person = personOf(connection, "user", userId);
        }
        if (person.isEmpty() && anonymousId != null && !anonymousId.isBlank()) {
            person = personOf(connection, "anonymous", anonymousId);
        }
        return person;
    }

    /** The person behind an event's ids, if any of them is known. */
    public Optional<Person> find(String userId, String anonymousId) {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            Optional<String> person = Optional.empty();
            if (userId != null && !userId.isBlank()) {
                person = personOf(connection, "user", userId);
            }
            if (person.isEmpty() && anonymousId != null && !anonymousId.isBlank()) {
                person = personOf(connection, "anonymous", anonymousId);
            }
            if (person.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Person(person.get(), primaryKeyOf(connection, person.get())));
        } catch (SQLException e) {
            throw new IllegalStateException("the identity store could not be read: " + e.getMessage(), e);
        }
    }

    /** The person for an event, created when the event's ids are all new (so waiting events have an owner). */
    public Person findOrCreate(String userId, String anonymousId) {
        Optional<Person> known = find(userId, anonymousId);
        if (known.isPresent()) {
            return known.get();
        }
        try (Connection connection = stateStore.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            String person = createPerson(connection, null, Instant.now());
            if (userId != null && !userId.isBlank()) {
                link(connection, "user", userId, person);
            }
            if (anonymousId != null && !anonymousId.isBlank()) {
                link(connection, "anonymous", anonymousId, person);
            }
            connection.commit();
            return find(userId, anonymousId).orElse(new Person(person, Optional.empty()));
        } catch (SQLException e) {
            throw new IllegalStateException("the identity store could not be written: " + e.getMessage(), e);
        }
    }

    /**
     * The userId of the person whose primary key this is, for events that arrive with only the key (a vendor's
     * postback naming an email). Keys are compared ignoring case, as email systems do; when several persons or
     * userIds match, the most recently updated person wins.
     */
    public Optional<String> userIdForKey(String key) {
        try (Connection connection = stateStore.dataSource().getConnection();
             PreparedStatement query = connection.prepareStatement(
                     "SELECT i.identifier FROM person p JOIN person_identifier i ON i.person_id = p.id"
                             + " WHERE LOWER(p.primary_key) = LOWER(?) AND i.kind = 'user'"
                             + " ORDER BY p.updated_at DESC, i.identifier")) {
            query.setString(1, key.trim());
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the identity store could not be read: " + e.getMessage(), e);
        }
    }

    public Optional<String> primaryKey(String personId) {
        try (Connection connection = stateStore.dataSource().getConnection()) {
            return primaryKeyOf(connection, personId);
        } catch (SQLException e) {
            throw new IllegalStateException("the identity store could not be read: " + e.getMessage(), e);
        }
    }

    /**
     * Everything the store links to a person named by an email (every person row with that key, compared ignoring
     * case) or a userId, as an erasure would gather it: for an operator looking the person up.
     */
    public PersonKeys linksOf(Optional<String> email, Optional<String> userId) {
        Optional<String> personOfUser = userId.flatMap(id -> find(id, null)).map(Person::id);
        try (Connection connection = stateStore.dataSource().getConnection()) {
            PersonKeys links = everythingAbout(connection, PersonKeys.of(personOfUser, email, null, null));
            // The named email itself is in the keys whether or not any person has it: only what the store has counts.
            return links.personIds().isEmpty() ? new PersonKeys(Set.of(), Set.of(), Set.of(), Set.of()) : links;
        } catch (SQLException e) {
            throw new IllegalStateException("the identity store could not be read: " + e.getMessage(), e);
        }
    }

    // ---- erasure -------------------------------------------------------------------------------------------

    /**
     * Everything the store links to what an erasure request names: every person row sharing the named key (compared
     * ignoring case), and each such person's identifiers and key. Read within the erasure's transaction.
     */
    public PersonKeys everythingAbout(Connection transaction, PersonKeys named) throws SQLException {
        Set<String> personIds = new LinkedHashSet<>(named.personIds());
        Set<String> keys = new LinkedHashSet<>(named.keys());
        Set<String> userIds = new LinkedHashSet<>(named.userIds());
        Set<String> anonymousIds = new LinkedHashSet<>(named.anonymousIds());
        for (String key : named.keys()) {
            try (PreparedStatement query = transaction.prepareStatement("SELECT id FROM person WHERE LOWER(primary_key) = LOWER(?)")) {
                query.setString(1, key);
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        personIds.add(rows.getString(1));
                    }
                }
            }
        }
        for (String person : personIds) {
            try (PreparedStatement query = transaction.prepareStatement(
                    "SELECT kind, identifier FROM person_identifier WHERE person_id = ?")) {
                query.setString(1, person);
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        ("user".equals(rows.getString(1)) ? userIds : anonymousIds).add(rows.getString(2));
                    }
                }
            }
            primaryKeyOf(transaction, person).ifPresent(keys::add);
        }
        return new PersonKeys(personIds, keys, userIds, anonymousIds);
    }

    /** The person rows and every identifier named; {@link #forgetRemembered()} is for the caller, once committed. */
    @Override
    public String erase(Connection transaction, PersonKeys person) throws SQLException {
        int identifiers = 0;
        int persons = 0;
        for (String id : person.personIds()) {
            identifiers += ErasesPeople.delete(transaction, "DELETE FROM person_identifier WHERE person_id = ?", id);
            persons += ErasesPeople.delete(transaction, "DELETE FROM person WHERE id = ?", id);
        }
        for (String userId : person.userIds()) {
            identifiers += ErasesPeople.delete(transaction, "DELETE FROM person_identifier WHERE kind = 'user' AND identifier = ?", userId);
        }
        for (String anonymousId : person.anonymousIds()) {
            identifiers += ErasesPeople.delete(transaction,
                    "DELETE FROM person_identifier WHERE kind = 'anonymous' AND identifier = ?", anonymousId);
        }
        return "identity: " + persons + " person(s), " + identifiers + " identifier(s)";
    }

    // ---- SQL ------------------------------------------------------------------------------------------------

    /**
     * Whether an alias' previousId is a known userId, else an anonymousId. A failed read fails the transaction: on
     * PostgreSQL any failed statement aborts it, so guessing "anonymous" would only fail the next statement instead.
     */
    private static String previousKind(Connection transaction, String previousId) throws SQLException {
        return personOf(transaction, "user", previousId).isPresent() ? "user" : "anonymous";
    }

    private static Optional<String> personOf(Connection connection, String kind, String value) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT person_id FROM person_identifier WHERE kind = ? AND identifier = ?")) {
            query.setString(1, kind);
            query.setString(2, value);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
            }
        }
    }

    private static Optional<String> primaryKeyOf(Connection connection, String person) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT primary_key FROM person WHERE id = ?")) {
            query.setString(1, person);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.ofNullable(rows.getString(1)) : Optional.empty();
            }
        }
    }

    /** @param key the person's primary key, or null while none is known */
    private static String createPerson(Connection connection, String key, Instant now) throws SQLException {
        String id = UUID.randomUUID().toString();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO person (id, primary_key, updated_at) VALUES (?, ?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, key);
            insert.setTimestamp(3, Timestamp.from(now));
            insert.executeUpdate();
        }
        return id;
    }

    /** The person that absorbs the others: one that already has a key, so the key an email system knows stays. */
    private static String chooseSurvivor(Connection connection, Set<String> persons) throws SQLException {
        for (String person : persons) {
            if (primaryKeyOf(connection, person).isPresent()) {
                return person;
            }
        }
        return persons.iterator().next();
    }

    private void merge(Connection connection, String from, String into, Instant now) throws SQLException {
        forgetRemembered();
        Optional<String> fromKey = primaryKeyOf(connection, from);
        if (fromKey.isPresent() && primaryKeyOf(connection, into).isEmpty()) {
            setKey(connection, into, fromKey.get(), now);
        }
        for (String sql : new String[] {
                "UPDATE person_identifier SET person_id = ? WHERE person_id = ?",
                "UPDATE pending_event SET person_id = ? WHERE person_id = ?"}) {
            try (PreparedStatement update = connection.prepareStatement(sql)) {
                update.setString(1, into);
                update.setString(2, from);
                update.executeUpdate();
            }
        }
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM person WHERE id = ?")) {
            delete.setString(1, from);
            delete.executeUpdate();
        }
    }

    /** Plain UPDATE-then-INSERT rather than a dialect's upsert, so another SQL database can hold the store. */
    private void link(Connection connection, String kind, String value, String person) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE person_identifier SET person_id = ? WHERE kind = ? AND identifier = ? AND person_id <> ?")) {
            update.setString(1, person);
            update.setString(2, kind);
            update.setString(3, value);
            update.setString(4, person);
            if (update.executeUpdate() > 0) {
                forgetRemembered();
                return;
            }
        }
        if (personOf(connection, kind, value).isPresent()) {
            return;
        }
        insertLink(connection, kind, value, person);
    }

    /** An id that names nobody yet. Another transaction that linked it first makes this fail on the unique key. */
    private static void insertLink(Connection connection, String kind, String value, String person) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO person_identifier (kind, identifier, person_id) VALUES (?, ?, ?)")) {
            insert.setString(1, kind);
            insert.setString(2, value);
            insert.setString(3, person);
            insert.executeUpdate();
        }
    }

    private static void setKey(Connection connection, String person, String key, Instant now) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE person SET primary_key = ?, updated_at = ? WHERE id = ?")) {
            update.setString(1, key);
            update.setTimestamp(2, Timestamp.from(now));
            update.setString(3, person);
            update.executeUpdate();
        }
    }

    private static Optional<String> text(JsonNode event, String field) {
        JsonNode value = event.get(field);
        return value == null || !value.isValueNode() || value.asText().isBlank() ? Optional.empty() : Optional.of(value.asText());
    }

    private static String kind(String id) {
        return id.substring(0, id.indexOf(':'));
    }

    private static String value(String id) {
        return id.substring(id.indexOf(':') + 1);
    }
}
