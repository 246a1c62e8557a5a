package org.segmentbridge.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** One mapping file: turns a Segment event into the vendor fields it describes. Immutable and safe to share between threads. */
public final class Mapping {
    private final String name;
    private final List<Field> fields;
    private final Passthrough passthrough;

    Mapping(String name, List<Field> fields, Passthrough passthrough) {
        this.name = name;
        this.fields = List.copyOf(fields);
        this.passthrough = passthrough;
    }

    public String name() {
        return name;
    }

    /** @throws MappingException naming the mapping, the target field, the source path and the value's JSON type */
    public ObjectNode apply(JsonNode event) {
        ObjectNode output = Json.NODES.objectNode();
        for (Field field : fields) {
            JsonNode value = field.apply(event, name);
            if (value != null) output.set(field.target, value);
        }
        if (passthrough != null) passthrough.copyInto(output, event, name);
        return output;
    }

    @Override
    public String toString() {
        return "Mapping[" + name + "]";
    }
}
