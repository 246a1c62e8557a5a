package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph, read from the sources: the core names no vendor, no vendor names another, and the core
 * packages depend on each other without a cycle. The vendor packages are those of the classes listed in
 * {@code META-INF/services/org.segmentbridge.vendor.Vendor}.
 */
class PackageGraphTest {

    private static final Path SOURCES = Path.of("src/main/java/org/segmentbridge");
    private static final String ROOT = "(root)";
    /** What the core may read from the root package (the application): the settings types, nothing else. */
    private static final Set<String> ROOT_TYPES_FOR_THE_CORE = Set.of("SettingsReader", "BridgeSettings");
    private static final Pattern REFERENCE = Pattern.compile("\\borg\\.segmentbridge\\.(?:([a-z][a-z0-9]*)\\.)?([A-Z]\\w*)");
    private static final Pattern BLOCK_COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern LINE_COMMENT = Pattern.compile("(?m)^\\s*//.*$");

    /** package → (referenced package → the referenced types). */
    private static final Map<String, Map<String, Set<String>>> GRAPH = new TreeMap<>();
    private static Set<String> vendors;

    @BeforeAll
    static void readSources() throws IOException {
        vendors = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("src/main/resources/META-INF/services/org.segmentbridge.vendor.Vendor"))) {
            Matcher vendor = Pattern.compile("^org\\.segmentbridge\\.([a-z0-9]+)\\.\\w+$").matcher(line.trim());
            if (vendor.matches()) {
                vendors.add(vendor.group(1));
            }
        }
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(file -> file.toString().endsWith(".java")).forEach(PackageGraphTest::read);
        }
    }

    private static void read(Path file) {
        Path folder = SOURCES.relativize(file).getParent();
        String from = folder == null ? ROOT : folder.toString().replace('/', '.');
        String code;
        try {
            code = LINE_COMMENT.matcher(BLOCK_COMMENT.matcher(Files.readString(file)).replaceAll("")).replaceAll("");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Matcher reference = REFERENCE.matcher(code);
        while (reference.find()) {
            String to = reference.group(1) == null ? ROOT : reference.group(1);
            if (!to.equals(from)) {
                GRAPH.computeIfAbsent(from, any -> new TreeMap<>()).computeIfAbsent(to, any -> new TreeSet<>()).add(reference.group(2));
            }
        }
    }

    @Test
    void theFourVendorsAreVendorPackages() {
        assertThat(vendors).containsExactlyInAnyOrder("emarsys", "iterable", "sailthru", "segment");
    }

    @Test
    void noCorePackageNamesAVendorPackage() {
        List<String> found = new ArrayList<>();
        GRAPH.forEach((from, uses) -> {
            if (!vendors.contains(from)) {
                uses.forEach((to, types) -> {
                    if (vendors.contains(to)) {
                        found.add(from + " → " + to + " " + types);
                    }
                });
            }
        });
        assertThat(found).as("core packages that import a vendor's package").isEmpty();
    }

    @Test
    void noVendorPackageNamesAnother() {
        List<String> found = new ArrayList<>();
        for (String vendor : vendors) {
            GRAPH.getOrDefault(vendor, Map.of()).forEach((to, types) -> {
                if (vendors.contains(to)) {
                    found.add(vendor + " → " + to + " " + types);
                }
            });
        }
        assertThat(found).as("vendor packages that import another vendor's package").isEmpty();
    }

    @Test
    void packagesReadOnlyTheSettingsTypesOfTheApplicationPackage() {
        List<String> found = new ArrayList<>();
        GRAPH.forEach((from, uses) -> {
            Set<String> types = new TreeSet<>(uses.getOrDefault(ROOT, Set.of()));
            types.removeAll(ROOT_TYPES_FOR_THE_CORE);
            if (!types.isEmpty()) {
                found.add(from + " → " + types);
            }
        });
        assertThat(found).as("packages that use the application package beyond its settings types").isEmpty();
    }

    @Test
    void theCorePackagesFormNoCycle() {
        Map<String, Set<String>> core = new TreeMap<>();
        GRAPH.forEach((from, uses) -> {
            if (!vendors.contains(from) && !from.equals(ROOT)) {
                Set<String> targets = new TreeSet<>(uses.keySet());
                targets.removeAll(vendors);
                targets.remove(ROOT);
                core.put(from, targets);
            }
        });
        assertThat(cycles(core)).as("cycles between core packages").isEmpty();
    }

    /** Each cycle once, as the path that closes it, found by depth-first search. */
    private static List<String> cycles(Map<String, Set<String>> graph) {
        List<String> cycles = new ArrayList<>();
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            walk(start, graph, new ArrayList<>(), done, cycles);
        }
        return cycles;
    }

    private static void walk(String node, Map<String, Set<String>> graph, List<String> path, Set<String> done, List<String> cycles) {
        int seen = path.indexOf(node);
        if (seen >= 0) {
            cycles.add(String.join(" → ", path.subList(seen, path.size())) + " → " + node);
            return;
        }
        if (done.contains(node)) {
            return;
        }
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            walk(next, graph, path, done, cycles);
        }
        path.remove(path.size() - 1);
        done.add(node);
    }
}
