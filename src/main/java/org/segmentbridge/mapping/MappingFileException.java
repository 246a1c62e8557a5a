package org.segmentbridge.mapping;

import java.util.List;

/** Mapping files with problems: all of them at once, so a user fixes every file in one round instead of one error per restart. */
public class MappingFileException extends RuntimeException {
    private final List<String> problems;

    public MappingFileException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
