package org.segmentbridge.iterable;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorAnswer;
import org.segmentbridge.delivery.Verdict;

/**
 * What {@code user-bulk-update} and {@code event-bulk} share: up to 1,000 items in a 4 MB body, under one array; the
 * answer's {@code failedUpdates} (and the like) name the items that were not taken.
 */
abstract class Bulk implements Action {

    private final String path;
    private final String array;

    /** @param path the endpoint; @param array the body's array of items, e.g. {@code users} */
    Bulk(String path, String array) {
        this.path = path;
        this.array = array;
    }

    @Override
    public BatchLimits limits() {
        return new BatchLimits(1000, 4L * 1024 * 1024);
    }

    @Override
    public OutboundRequest request(String group, List<Item> items, DestinationSettings settings) {
        ObjectNode body = IterableConnector.JSON.createObjectNode();
        items.forEach(item -> body.withArray(array).addRawValue(item.asRawJson()));
        return IterableConnector.post(path, body.toString(), settings);
    }

    @Override
    public List<Verdict> read(VendorAnswer answer, List<Item> items) {
        return IterableAnswers.read(answer, items);
    }
}
