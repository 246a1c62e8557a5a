package org.segmentbridge.vendor;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

import org.segmentbridge.SettingsReader;

/**
 * The vendors on the class path, each named in a {@code META-INF/services/org.segmentbridge.vendor.Vendor} file (the
 * packaged jar merges those files), by name: the class path's order is no order to rely on.
 */
public final class Vendors {

    private final Map<String, Vendor> byName;

    private Vendors(Map<String, Vendor> byName) {
        this.byName = byName;
    }

    /** @throws IllegalStateException when two vendors share a name */
    public static Vendors discovered() {
        Map<String, Vendor> byName = new TreeMap<>();
        for (Vendor vendor : ServiceLoader.load(Vendor.class, Vendor.class.getClassLoader())) {
            Vendor other = byName.putIfAbsent(vendor.name(), vendor);
            if (other != null) {
                throw new IllegalStateException("Two vendors are named '" + vendor.name() + "': "
                        + other.getClass().getName() + " and " + vendor.getClass().getName());
            }
        }
        return new Vendors(byName);
    }

    public List<Vendor> all() {
        return List.copyOf(byName.values());
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** The backfill commands by vendor, of the vendors that offer one. */
    public Map<String, Backfill> backfills() {
        Map<String, Backfill> backfills = new TreeMap<>();
        byName.forEach((name, vendor) -> vendor.backfill().ifPresent(backfill -> backfills.put(name, backfill)));
        return backfills;
    }

    public Optional<Vendor> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The vendor that serves a destination: the one {@code bridge.destination.<name>.vendor} names (a second
     * destination of one vendor, e.g. another Iterable project), else the one named like the destination; empty when
     * there is none (its events stay queued).
     *
     * @throws IllegalArgumentException naming the setting when it names no vendor
     */
    public Optional<Vendor> serving(String destination, SettingsReader settings) {
        String retired = "bridge.destination." + destination + ".connector";
        String key = "bridge.destination." + destination + ".vendor";
        if (settings.optional(retired).isPresent()) {
            throw new IllegalArgumentException("Setting " + retired + " is no longer read: connectors come with their "
                    + "vendor, which is found on the class path; name it with " + key + " (one of " + names() + ")");
        }
        Optional<String> named = settings.optional(key);
        if (named.isEmpty()) {
            return named(destination);
        }
        return Optional.of(named(named.get()).orElseThrow(() -> new IllegalArgumentException(
                "Setting " + key + ": no vendor is named '" + named.get() + "'; the vendors are " + names())));
    }
}
