package org.segmentbridge.iterable;

/**
 * {@code unsubscribe?messageTypes=<ids>[&channels=<ids>]}: an opt-out as
 * {@code DELETE /api/subscriptions/{messageType|messageChannel}/{id}/user/{email}}, per message type and channel.
 */
final class Unsubscribe extends Subscriptions {

    @Override
    public String name() {
        return "unsubscribe";
    }

    @Override
    public String description() {
        return "unsubscribes from each message type and channel, leaving other subscriptions alone: "
                + "DELETE /api/subscriptions/{messageType|messageChannel}/{id}/user/{email}";
    }

    @Override
    String method() {
        return "DELETE";
    }
}
