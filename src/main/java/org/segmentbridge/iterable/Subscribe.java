package org.segmentbridge.iterable;

/** {@code subscribe?messageTypes=<ids>[&channels=<ids>]}: {@code unsubscribe}'s inverse, for an explicit re-subscription. */
final class Subscribe extends Subscriptions {

    @Override
    public String name() {
        return "subscribe";
    }

    @Override
    public String description() {
        return "subscribes to each message type and channel again (unsubscribe's inverse): "
                + "PATCH /api/subscriptions/{messageType|messageChannel}/{id}/user/{email}";
    }

    @Override
    String method() {
        return "PATCH";
    }
}
