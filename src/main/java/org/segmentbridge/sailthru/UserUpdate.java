package org.segmentbridge.sailthru;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.ActionParameter;

/** {@code user}: {@code POST /user} with the route's mapping as the profile's vars, flattened. */
final class UserUpdate extends UserPost {

    @Override
    public String name() {
        return "user";
    }

    @Override
    public String description() {
        return "creates or updates the profile with the mapped fields as vars, flattened: POST /user";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of();
    }

    @Override
    boolean fill(ObjectNode user, Input input) {
        if (!input.fields().isEmpty()) {
            user.set("vars", SailthruConnector.flatten(input.fields()));
        }
        return true;
    }
}
