package org.segmentbridge.emarsys;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.ActionParameter;

/** {@code list-add?list=<name>}: adds the contact to a contact list, {@code POST /contactlist/{id}/add}. */
final class ListAdd extends ListMembership {

    /** The contact list of {@code list-add} and {@code list-remove}. */
    static final ActionParameter LIST = ActionParameter.text("list", "the contact list, by name; created when missing")
            .asRequired();

    ListAdd(EmarsysConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "list-add";
    }

    @Override
    public String description() {
        return "adds contacts to a contact list: POST /contactlist/{id}/add";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(LIST, EmarsysConnector.KEY_FIELD);
    }

    @Override
    Direction direction(JsonNode event) {
        return Direction.ADD;
    }
}
