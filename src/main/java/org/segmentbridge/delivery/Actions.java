package org.segmentbridge.delivery;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A connector's actions by name: the lookup every connector needs, with an error that lists what exists. */
public final class Actions {

    private final String vendor;
    private final Map<String, Action> byName = new LinkedHashMap<>();

    public Actions(String vendor, Action... actions) {
        this.vendor = vendor;
        for (Action action : actions) {
            if (byName.put(action.name(), action) != null) {
                throw new IllegalArgumentException(vendor + " has two actions named '" + action.name() + "'");
            }
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

    /** The vendor's name, as messages and the action catalogue show it. */
    public String vendor() {
        return vendor;
    }

    /** The actions, in the order the connector lists them. */
    public List<Action> all() {
        return List.copyOf(byName.values());
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }
}
