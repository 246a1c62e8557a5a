package org.segmentbridge.emarsys;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.ActionParameter;

/** {@code list-remove?list=<name>}: removes the contact from a contact list, {@code POST /contactlist/{id}/delete}. */
final class ListRemove extends ListMembership {

    ListRemove(EmarsysConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "list-remove";
    }

    @Override
    public String description() {
        return "removes contacts from a contact list: POST /contactlist/{id}/delete";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(ListAdd.LIST, EmarsysConnector.KEY_FIELD);
    }

    @Override
    Direction direction(JsonNode event) {
        return Direction.REMOVE;
    }
}
