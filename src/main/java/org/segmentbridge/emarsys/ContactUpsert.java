package org.segmentbridge.emarsys;

import java.net.URI;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * {@code contact-upsert}: {@code PUT /contact/?create_if_not_exists=1} with {@code key_id} and up to 1,000 contacts
 * (8 MB). The contact's fields are the route's mapping (names or ids); the key field gets the person's key when the
 * mapping does not set it.
 */
final class ContactUpsert implements Action {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmarsysConnector connector;

    ContactUpsert(EmarsysConnector connector) {
        this.connector = connector;
    }

    @Override
    public String name() {
        return "contact-upsert";
    }

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 8L * 1024 * 1024);
    }

    @Override
    public String description() {
        return "creates or updates contacts with the mapped fields: PUT /contact/?create_if_not_exists=1";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of(EmarsysConnector.KEY_FIELD);
    }

    @Override
    public List<Item> prepare(Input input) {
        String keyField = EmarsysConnector.keyField(input);
        ObjectNode contact = input.fields().deepCopy();
        String key = EmarsysConnector.contactKey(input, name());
        if (!contact.hasNonNull(keyField)) {
            contact.put(keyField, key);
        }
        return List.of(new Item(keyField, contact.get(keyField).asText(), contact));
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        ObjectNode body = JSON.createObjectNode();
        body.put("key_id", fieldId(group, settings));
        ArrayNode contacts = body.putArray("contacts");
        for (Item item : items) {
            ObjectNode contact = contacts.addObject();
            item.payload().fields().forEachRemaining(field -> contact.set(fieldId(field.getKey(), settings), field.getValue()));
        }
        return OutboundRequest.json("PUT", URI.create(EmarsysAuth.baseUrl(settings) + "/contact/?create_if_not_exists=1"), body.toString());
    }

    private String fieldId(String nameOrId, DestinationSettings settings) {
        return connector.directory().fieldId(nameOrId, settings, connector.auth(settings));
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return EmarsysAnswers.read(answer, items, Item::idempotencyKey, Set.of());
    }
}
