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
