package org.segmentbridge.sailthru;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.ActionParameter;

/** {@code optout?value=none|basic|blast|all}: {@code POST /user} with {@code optout_email}. */
final class Optout extends UserPost {

    private static final ActionParameter VALUE = ActionParameter.oneOf("value", List.of("none", "basic", "blast", "all"),
            "what optout_email is set to: none opts back in, all stops every email").asRequired();

    @Override
    public String name() {
        return "optout";
    }

    @Override
    public String description() {
        return "sets the profile's email opt-out: POST /user with optout_email";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(VALUE);
    }

    @Override
    boolean fill(ObjectNode user, Input input) {
        // Without a value the route only runs in dry-run (with a warning); its record shows the broadest opt-out.
        user.put("optout_email", input.parameter(VALUE.name(), "all"));
        return true;
    }
}
