package org.segmentbridge.emarsys;

import java.net.URI;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code contact-delete}: {@code POST /contact/delete} {@code {"key_id":"3","3":[...]}} with up to 1,000 keys. Erases
 * the contact irreversibly; a contact Emarsys does not have (2008) is already in the wanted state.
 */
final class ContactDelete implements Action {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NO_SUCH_CONTACT = "2008";

    private final EmarsysConnector connector;

    ContactDelete(EmarsysConnector connector) {
        this.connector = connector;
    }

    @Override
    public String name() {
        return "contact-delete";
    }

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 8L * 1024 * 1024);
    }

    @Override
    public String description() {
        return "erases contacts irreversibly: POST /contact/delete; a contact Emarsys does not have (2008) counts as done";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(EmarsysConnector.KEY_FIELD);
    }

    @Override
    public List<Item> prepare(Input input) {
        String key = EmarsysConnector.contactKey(input, name());
        return List.of(new Item(EmarsysConnector.keyField(input), key, JSON.createObjectNode().put("external_id", key)));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        String keyId = connector.directory().fieldId(group, settings, connector.auth(settings));
        ObjectNode body = JSON.createObjectNode().put("key_id", keyId);
        items.forEach(item -> body.withArray(keyId).add(item.idempotencyKey()));
        return OutboundRequest.json("POST", URI.create(EmarsysAuth.baseUrl(settings) + "/contact/delete"), body.toString());
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return EmarsysAnswers.read(answer, items, Item::idempotencyKey, Set.of(NO_SUCH_CONTACT));
    }
}
