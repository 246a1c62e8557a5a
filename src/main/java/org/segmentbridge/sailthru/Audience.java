package org.segmentbridge.sailthru;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Audiences;

/**
 * {@code audience[?list=<name>]}: {@code POST /user} with {@code lists {<list>: 1|0}} from an Engage audience event
 * (identify {@code traits.<key>: true|false}, or track {@code Audience Entered|Exited}); other events send nothing.
 */
final class Audience extends UserPost {

    private static final ActionParameter LIST = ActionParameter.text("list", "the Sailthru list; default: the audience's key");

    @Override
    public String name() {
        return "audience";
    }

    @Override
    public String description() {
        return "adds people entering an Engage audience to its list and removes those leaving: POST /user with lists";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(LIST);
    }

    @Override
    boolean fill(ObjectNode user, Input input) {
        String audience = Audiences.key(input.event());
        Boolean member = Audiences.membership(input.event());
        if (member == null || audience.isEmpty()) {
            return false;
        }
        user.putObject("lists").put(input.parameter(LIST.name(), audience), member ? 1 : 0);
        return true;
    }
}
