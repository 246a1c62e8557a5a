package org.segmentbridge.queue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.jms.BytesMessage;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.reader.TextMessageUtil;

/**
 * How events travel in the embedded broker's messages: JSON as UTF-8 in a bytes message. A JMS text message keeps its
 * text as UTF-16, two bytes for each character of JSON that is nearly all ASCII, so UTF-8 halves what the broker holds
 * in the heap for a backlog and what its journal writes. Messages that earlier versions wrote as text messages, still
 * in a journal after an upgrade, read the same.
 */
final class MessageBodies {

    private MessageBodies() {
    }

    /** One event's JSON. */
    static void writeEvent(BytesMessage message, String json) throws JMSException {
        message.writeBytes(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Events for the destinations' logs, one message for a run of a processor batch: each event's UTF-8 JSON after
     * its length (4 bytes), so a reader splits them without parsing. The message says how many it carries in
     * {@link EmbeddedBroker#EVENTS_PROPERTY}.
     */
    static void writeEvents(BytesMessage message, List<IntakeLog.Entry> events) throws JMSException {
        for (IntakeLog.Entry event : events) {
            byte[] json = event.json().getBytes(StandardCharsets.UTF_8);
            message.writeInt(json.length);
            message.writeBytes(json);
        }
        message.setIntProperty(EmbeddedBroker.EVENTS_PROPERTY, events.size());
    }

    /**
     * The events a destination's message carries: as {@link #writeEvents} wrote them, or the one event of a message
     * without {@link EmbeddedBroker#EVENTS_PROPERTY} (a replayed dead letter, or one written by an earlier version).
     */
    static List<String> events(ClientMessage message) {
        if (!message.containsProperty(EmbeddedBroker.EVENTS_PROPERTY)) {
            return List.of(text(message));
        }
        ActiveMQBuffer body = message.getBodyBuffer();
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        return split(bytes, eventsCarried(message));
    }

    /** How many events a message on a destination's log carries. */
    static int eventsCarried(org.apache.activemq.artemis.api.core.Message message) {
        return message.containsProperty(EmbeddedBroker.EVENTS_PROPERTY) ? message.getIntProperty(EmbeddedBroker.EVENTS_PROPERTY) : 1;
    }

    /** The same through JMS (what a browser sees). */
    static List<String> events(Message message) throws JMSException {
        if (!message.propertyExists(EmbeddedBroker.EVENTS_PROPERTY)) {
            return List.of(new String(utf8(message), StandardCharsets.UTF_8));
        }
        return split(message.getBody(byte[].class), message.getIntProperty(EmbeddedBroker.EVENTS_PROPERTY));
    }

    /** The events {@link #writeEvents} packed: each one's JSON after its length. */
    private static List<String> split(byte[] body, int count) {
        java.nio.ByteBuffer packed = java.nio.ByteBuffer.wrap(body);
        List<String> events = new java.util.ArrayList<>(count);
        for (int index = 0; index < count; index++) {
            int length = packed.getInt();
            events.add(new String(body, packed.position(), length, StandardCharsets.UTF_8));
            packed.position(packed.position() + length);
        }
        return events;
    }

    /** The events of one intake log record, packed as {@link IntakeRecords#join} packs them. */
    static void writeRecord(BytesMessage message, List<IntakeLog.Entry> record) throws JMSException {
        message.writeBytes(IntakeRecords.join(record).getBytes(StandardCharsets.UTF_8));
    }

    /** The body as UTF-8 JSON, read through JMS. */
    static byte[] utf8(Message message) throws JMSException {
        if (message instanceof TextMessage text) {
            return text.getText().getBytes(StandardCharsets.UTF_8);
        }
        return message.getBody(byte[].class);
    }

    /** The body as text, read through Artemis' core API. */
    static String text(ClientMessage message) {
        ActiveMQBuffer body = message.getBodyBuffer();
        if (message.getType() == org.apache.activemq.artemis.api.core.Message.TEXT_TYPE) {
            return String.valueOf(TextMessageUtil.readBodyText(body));
        }
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
