package org.segmentbridge.queue;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/** How appended events are packed into intake log records, on either engine: a JSON array of events per record. */
final class IntakeRecords {

    static final ObjectMapper JSON = new ObjectMapper();

    private IntakeRecords() {
    }

    /** The records an append makes: {@value IntakeLog#EVENTS_PER_RECORD} events each, a platform's report whole. */
    static List<List<IntakeLog.Entry>> split(List<IntakeLog.Entry> events, IntakeLog.Kind kind) {
        int perRecord = kind == IntakeLog.Kind.REPORT ? Math.max(1, events.size()) : IntakeLog.EVENTS_PER_RECORD;
        List<List<IntakeLog.Entry>> records = new ArrayList<>();
        for (int from = 0; from < events.size(); from += perRecord) {
            records.add(events.subList(from, Math.min(events.size(), from + perRecord)));
        }
        return records;
    }

    static String join(List<IntakeLog.Entry> record) {
        return "[" + String.join(",", record.stream().map(IntakeLog.Entry::json).toList()) + "]";
    }

    /** The events of one record; a record that is not an array of objects means the log itself is damaged. */
    static ArrayNode parse(String text, String record) {
        try {
            return requireEvents(JSON.readTree(text), record);
        } catch (java.io.IOException e) {
            throw damaged(record);
        }
    }

    /** The same, for a record stored as UTF-8. */
    static ArrayNode parse(byte[] utf8, String record) {
        try {
            return requireEvents(JSON.readTree(utf8), record);
        } catch (java.io.IOException e) {
            throw damaged(record);
        }
    }

    private static ArrayNode requireEvents(JsonNode events, String record) {
        if (events instanceof ArrayNode array
                && java.util.stream.StreamSupport.stream(array.spliterator(), false).allMatch(JsonNode::isObject)) {
            return array;
        }
        throw damaged(record);
    }

    /** The intake wrote it from parsed objects: unreadable means the log's storage is damaged. */
    private static IllegalStateException damaged(String record) {
        return new IllegalStateException("intake log record " + record + " is not a JSON array of events");
    }
}
