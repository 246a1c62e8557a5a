package org.segmentbridge.mapping;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** All mappings of a folder, by name. */
public final class Mappings {
    private static final String SUFFIX = ".yaml";

    private final Map<String, Mapping> byName;

    private Mappings(Map<String, Mapping> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    /**
     * Loads every *.yaml file in dir (not recursive); the file name without .yaml is the mapping's name.
     * A missing folder gives an empty Mappings. Collects ALL problems of all files, then throws one
     * MappingFileException listing them (each problem one line).
     */
    public static Mappings load(Path dir) {
        Map<String, Mapping> byName = new TreeMap<>();
        if (!Files.exists(dir)) return new Mappings(byName);
        List<String> problems = new ArrayList<>();
        String folder = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(file -> file.getFileName().toString().endsWith(SUFFIX) && Files.isRegularFile(file))
                    .sorted().toList();
        } catch (IOException e) {
            throw new MappingFileException(List.of(folder + ": cannot list the folder: " + e));
        }
        for (Path file : files) {
            String fileName = file.getFileName().toString();
            String name = fileName.substring(0, fileName.length() - SUFFIX.length());
            Mapping mapping = new MappingParser(folder + "/" + fileName, problems).parse(name, file);
            if (mapping != null) byName.put(name, mapping);
        }
        if (!problems.isEmpty()) throw new MappingFileException(problems);
        return new Mappings(byName);
    }

    public Mapping get(String name) {
        Mapping mapping = byName.get(name);
        if (mapping == null) {
            throw new IllegalArgumentException("no mapping '" + name + "'; the mappings are " + byName.keySet());
        }
        return mapping;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public Set<String> names() {
        return byName.keySet();
    }
}
