package org.segmentbridge.iterable;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Rate;

/** {@code user-bulk-update}: {@code POST /api/users/bulkUpdate} (5/s), the users of {@code user-update} batched. */
final class UserBulkUpdate extends Bulk {

    UserBulkUpdate() {
        super("/api/users/bulkUpdate", "users");
    }

    @Override
    public String name() {
        return "user-bulk-update";
    }

    @Override
    public String description() {
        return "the users of user-update, batched: POST /api/users/bulkUpdate";
    }

    @Override
    public List<ActionParameter> parameters() {
        return List.of();
    }

    @Override
    public Optional<Rate> endpointRate() {
        return Optional.of(new Rate(5, Duration.ofSeconds(1)));
    }

    @Override
    public List<Item> prepare(Input input) {
        return List.of(UserUpdate.user(input, name()));
    }
}
