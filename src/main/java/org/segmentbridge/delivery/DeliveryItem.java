package org.segmentbridge.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** One item on its way to a vendor: what an action prepared, plus its attempts so far. */
final class DeliveryItem {

    /** Writes a tree as {@link JsonNode#toString()} does: the same characters. */
    private static final ObjectWriter JSON = JsonMapper.builder().build().writer();

    private final Ticket ticket;
    private final String routeId;
    private final Action action;
    private final Action.Item item;
    private final int bytes;
    private int attempts;
    private Instant firstAttempt;

    DeliveryItem(Ticket ticket, String routeId, Action action, Action.Item item) {
        this.ticket = ticket;
        this.routeId = routeId;
        this.action = action;
        this.item = item;
        this.bytes = utf8Length(item.payload());
    }

    /**
     * The length of {@code payload.toString().getBytes(UTF_8)}, counted as the text is written rather than built:
     * every item is measured for its batch, and building the text and its bytes only to measure them was a
     * twenty-fifth of what the destinations allocated in the processing drain.
     */
    static int utf8Length(JsonNode payload) {
        Utf8Length length = new Utf8Length();
        try {
            JSON.writeValue(length, payload);
        } catch (IOException e) {
            throw new UncheckedIOException("an item could not be measured: " + e.getMessage(), e);
        }
        return length.total();
    }

    /** Counts the bytes UTF-8 takes for what is written, a malformed surrogate as the one '?' the encoder puts there. */
    private static final class Utf8Length extends Writer {
        private long bytes;
        private boolean highSurrogatePending;

        @Override
        public void write(char[] text, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                count(text[i]);
            }
        }

        @Override
        public void write(String text, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                count(text.charAt(i));
            }
        }

        @Override
        public void write(int c) {
            count((char) c);
        }

        private void count(char c) {
            if (highSurrogatePending) {
                highSurrogatePending = false;
                if (Character.isLowSurrogate(c)) {
                    bytes += 4;
                    return;
                }
                bytes += 1;
            }
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                highSurrogatePending = true;
            } else if (Character.isLowSurrogate(c)) {
                bytes += 1;
            } else {
                bytes += 3;
            }
        }

        int total() {
            return Math.toIntExact(bytes + (highSurrogatePending ? 1 : 0));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    Ticket ticket() {
        return ticket;
    }

    /** The route whose deliver: call prepared the item. */
    String routeId() {
        return routeId;
    }

    Action action() {
        return action;
    }

    Action.Item item() {
        return item;
    }

    String batchKey() {
        return batchKey(action, item.group());
    }

    /** Items of one action and group may share a request. */
    static String batchKey(Action action, String group) {
        return action.name() + "\u0000" + group;
    }

    int bytes() {
        return bytes;
    }

    int attempts() {
        return attempts;
    }

    Instant firstAttempt() {
        return firstAttempt;
    }

    void attempted(Instant now) {
        attempts++;
        if (firstAttempt == null) {
            firstAttempt = now;
        }
    }

    /** A split re-sends the halves of a batch the vendor refused whole; that is not one of the item's attempts. */
    void attemptNotCounted() {
        attempts--;
    }
}
