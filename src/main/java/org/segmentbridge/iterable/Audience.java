package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Audiences;

/**
 * {@code audience[?list=<name>]}: an Engage audience event (identify {@code traits.<key>: true|false}, or track
 * {@code Audience Entered|Exited}) subscribes the person to the audience's list or unsubscribes them; other events
 * send nothing.
 */
final class Audience extends ListMembership {

    private static final ActionParameter LIST = ActionParameter.text("list",
            "the Iterable list, by name; created when missing; default: the audience's key");

    Audience(IterableConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "audience";
    }

    @Override
    public String description() {
        return "subscribes people entering an Engage audience to its list and unsubscribes those leaving: "
                + "POST /api/lists/subscribe|unsubscribe";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(LIST);
    }

    @Override
    Boolean join(JsonNode event) {
        return Audiences.membership(event);
    }
}
