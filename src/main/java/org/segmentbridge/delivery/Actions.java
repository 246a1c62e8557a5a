package org.segmentbridge.delivery;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A connector's actions by name: the lookup every connector needs, with an error that lists what exists. */
public final class Actions {

    private final String vendor;
    private final Map<String, Action> byName = new LinkedHashMap<>();

    public Actions(String vendor, Action... actions) {
        this.vendor = vendor;
        for (Action action : actions) {
            byName.put(action.name(), action);
        }
    }

    /** @throws IllegalArgumentException naming the known actions */
    public Action get(String name) {
        Action action = byName.get(name);
        if (action == null) {
            throw new IllegalArgumentException(vendor + " has no action '" + name + "'; its actions are " + byName.keySet());
        }
        return action;
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }
}
