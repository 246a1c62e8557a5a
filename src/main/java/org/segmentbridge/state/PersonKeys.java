package org.segmentbridge.state;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Every identifier the bridge knows one person by, as an erasure gathers them: the identity store's person rows, the
 * person's primary keys (their emails), userIds and anonymousIds. Each store finds its rows about the person by these.
 */
public record PersonKeys(Set<String> personIds, Set<String> keys, Set<String> userIds, Set<String> anonymousIds) {

    public PersonKeys {
        personIds = inOrder(personIds);
        keys = inOrder(keys);
        userIds = inOrder(userIds);
        anonymousIds = inOrder(anonymousIds);
    }

    /** What an erasure request names: the person row and key it resolved, its userId and anonymousId (each may be null). */
    public static PersonKeys of(Optional<String> personId, Optional<String> key, String userId, String anonymousId) {
        return new PersonKeys(personId.map(Set::of).orElse(Set.of()), key.map(Set::of).orElse(Set.of()),
                userId == null ? Set.of() : Set.of(userId), anonymousId == null ? Set.of() : Set.of(anonymousId));
    }

    private static Set<String> inOrder(Set<String> values) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(values));
    }
}
