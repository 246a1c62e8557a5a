package org.segmentbridge.queue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.ObjectMapper;

/** A destination reader's listener that takes every event handed over and keeps it, unsettled, until a test settles it. */
final class KeptMessages implements DestinationReader.Listener {

    private static final ObjectMapper JSON = new ObjectMapper();

    final List<QueuedMessage> received = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(QueuedMessage message) {
        received.add(message);
    }

    @Override
    public void sessionLost() {
        received.clear();
    }

    /** The messageIds of what was handed over, in order. */
    List<String> ids() {
        return received.stream().map(KeptMessages::idOf).toList();
    }

    static String idOf(QueuedMessage message) {
        try {
            return JSON.readTree(message.json()).path("messageId").asText();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
