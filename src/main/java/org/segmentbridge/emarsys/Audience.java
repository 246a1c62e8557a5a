package org.segmentbridge.emarsys;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Audiences;

/**
 * {@code audience[?list=<name>]}: an Engage audience event (identify {@code traits.<key>: true|false}, or track
 * {@code Audience Entered|Exited}) adds the contact to the audience's list or removes it; other events send nothing.
 */
final class Audience extends ListMembership {

    private static final ActionParameter LIST = ActionParameter.text("list",
            "the contact list, by name; created when missing; default: the audience's key");

    Audience(EmarsysConnector connector) {
        super(connector);
    }

    @Override
    public String name() {
        return "audience";
    }

    @Override
    public String description() {
        return "adds contacts entering an Engage audience to its list and removes those leaving: POST /contactlist/{id}/add|delete";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(LIST, EmarsysConnector.KEY_FIELD);
    }

    /** Add on entry, remove on exit; null when the event says neither. */
    @Override
    Direction direction(JsonNode event) {
        Boolean member = Audiences.membership(event);
        return member == null ? null : member ? Direction.ADD : Direction.REMOVE;
    }
}
