package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/**
 * Events for the benchmarks, made from the shipped samples ({@code samples/identify.json}, {@code samples/track.json}:
 * an identify with reserved and custom traits, a {@code Product Viewed} track at price 119) with only the person, the
 * messageId, an optional send stamp and optional {@code integrations} flags changed, so the measured paths are the
 * shipped routes' and mappings' real ones.
 */
final class Events {

    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> VENDOR_DESTINATIONS = List.of("emarsys", "sailthru", "iterable", "iterablebulk");

    private final ObjectNode identify;
    private final ObjectNode track;
    private final int loginsEvery;

    /** @param loginsEvery one identify in this many of a stream is a login ({@link AllDestinations#event}); 0: none */
    Events(Path samples, int loginsEvery) throws IOException {
        this.identify = (ObjectNode) JSON.readTree(samples.resolve("identify.json").toFile());
        this.track = (ObjectNode) JSON.readTree(samples.resolve("track.json").toFile());
        this.loginsEvery = loginsEvery;
    }

    int loginsEvery() {
        return loginsEvery;
    }

    /** The identify sample for another person; no messageId when {@code messageId} is null (the intake makes one). */
    ObjectNode identify(String person, String messageId) {
        ObjectNode event = identify.deepCopy();
        event.put("userId", person);
        event.put("anonymousId", "anon-" + person);
        ((ObjectNode) event.get("traits")).put("email", person + "@example.com");
        setMessageId(event, messageId);
        return event;
    }

    /** The track sample (Product Viewed, price 119) for another person. */
    ObjectNode track(String person, String messageId) {
        ObjectNode event = track.deepCopy();
        event.put("userId", person);
        ((ObjectNode) event.with("context").with("traits")).put("email", person + "@example.com");
        setMessageId(event, messageId);
        return event;
    }

    /** Stamps the send time where the mappings carry it to the vendor: traits for identify, properties for track. */
    static ObjectNode stamped(ObjectNode event, long epochMicros) {
        String where = "identify".equals(event.path("type").asText()) ? "traits" : "properties";
        event.with(where).put(FakeVendors.STAMP, epochMicros);
        return event;
    }

    /**
     * A person's id that carries a due time ({@code <name>-sent<epoch micros>}): every vendor request names the person
     * (userId or email), so the fakes read the time from it where a mapping carries no custom field.
     */
    static String sentPerson(String name, long epochMicros) {
        return name + "-sent" + epochMicros;
    }

    /** Segment's integrations flags keeping the event from every vendor destination but {@code only}. */
    static ObjectNode onlyFor(ObjectNode event, Set<String> only) {
        ObjectNode flags = event.with("integrations");
        for (String destination : VENDOR_DESTINATIONS) {
            if (!only.contains(destination)) {
                flags.put(capitalized(destination), false);
            }
        }
        return event;
    }

    private static String capitalized(String name) {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    private static void setMessageId(ObjectNode event, String messageId) {
        if (messageId == null) {
            event.remove("messageId");
        } else {
            event.put("messageId", messageId);
        }
    }

    /** {"batch": [...]} bodies of up to {@code perBatch} events. */
    static List<Buffer> batches(List<ObjectNode> events, int perBatch) {
        List<Buffer> bodies = new ArrayList<>();
        for (int from = 0; from < events.size(); from += perBatch) {
            ObjectNode body = JSON.createObjectNode();
            ArrayNode batch = body.putArray("batch");
            events.subList(from, Math.min(events.size(), from + perBatch)).forEach(batch::add);
            bodies.add(Buffer.buffer(body.toString()));
        }
        return bodies;
    }
}
