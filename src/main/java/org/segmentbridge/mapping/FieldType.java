package org.segmentbridge.mapping;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

enum FieldType {
    STRING, INTEGER, DECIMAL, BOOLEAN, DATE, DATETIME, ENUM, OBJECT;

    static final List<String> NAMES = Arrays.stream(values()).map(FieldType::yamlName).toList();

    String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException with the problem as users should read it */
    static FieldType parse(String name) {
        for (FieldType type : values()) {
            if (type.yamlName().equals(name)) return type;
        }
        throw new IllegalArgumentException("unknown type '" + name + "'; the types are " + NAMES);
    }
}
