package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.ActionParameter;

/** {@code list-subscribe?list=<name>}: subscribes the person to a static list, {@code POST /api/lists/subscribe}. */
final class ListSubscribe extends ListMembership {

    /** The list of {@code list-subscribe} and {@code list-unsubscribe}. */
    static final ActionParameter LIST = ActionParameter.text("list", "the Iterable list, by name; created when missing")
            .asRequired();

    ListSubscribe(IterableConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "list-subscribe";
    }

    @Override
    public String description() {
        return "subscribes people to a static list: POST /api/lists/subscribe";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(LIST);
    }

    @Override
    Boolean join(JsonNode event) {
        return Boolean.TRUE;
    }
}
