package org.segmentbridge.delivery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How items are cut into requests: by action and group, by count and by bytes. One rule for delivery and previews. */
final class Batching {

    /** Room for the envelope around the items (brackets, wrapper object, commas) when cutting by bytes. */
    static final int ENVELOPE_BYTES = 512;

    private Batching() {
    }

    /** The vendor's limits for the action, lowered by the destination's settings. */
    static Action.BatchLimits limits(Action action, DestinationSettings settings) {
        Action.BatchLimits vendor = action.limits();
        return new Action.BatchLimits(Math.min(vendor.maxItems(), settings.maxBatchItems()),
                Math.min(vendor.maxBytes(), settings.maxBatchBytes()));
    }

    /** Whether an item of {@code itemBytes} fits a request already holding {@code batchBytes} of items. */
    static boolean fits(long batchBytes, int itemBytes, Action.BatchLimits limits) {
        return batchBytes + itemBytes + 1 + ENVELOPE_BYTES <= limits.maxBytes();
    }

    /** Items in arrival order cut into the requests they would make (an item too large alone gets its own). */
    static List<List<DeliveryItem>> cut(List<DeliveryItem> items, DestinationSettings settings) {
        Map<String, List<DeliveryItem>> byBatchKey = new LinkedHashMap<>();
        items.forEach(item -> byBatchKey.computeIfAbsent(item.batchKey(), key -> new ArrayList<>()).add(item));
        List<List<DeliveryItem>> requests = new ArrayList<>();
        for (List<DeliveryItem> group : byBatchKey.values()) {
            Action.BatchLimits limits = limits(group.get(0).action(), settings);
            List<DeliveryItem> current = new ArrayList<>();
            long bytes = 0;
            for (DeliveryItem item : group) {
                if (!current.isEmpty() && (current.size() >= limits.maxItems() || !fits(bytes, item.bytes(), limits))) {
                    requests.add(current);
                    current = new ArrayList<>();
                    bytes = 0;
                }
                current.add(item);
                bytes += item.bytes() + 1;
            }
            requests.add(current);
        }
        return requests;
    }
}
