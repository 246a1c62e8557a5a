package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.ActionParameter;

/** {@code list-unsubscribe?list=<name>}: removes the person from a static list, {@code POST /api/lists/unsubscribe}. */
final class ListUnsubscribe extends ListMembership {

    ListUnsubscribe(IterableConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "list-unsubscribe";
    }

    @Override
    public String description() {
        return "removes people from a static list (never the whole channel): POST /api/lists/unsubscribe";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(ListSubscribe.LIST);
    }

    @Override
    Boolean join(JsonNode event) {
        return Boolean.FALSE;
    }
}
