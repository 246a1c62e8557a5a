package org.segmentbridge.mapping;

/** One event could not be mapped; the message names the mapping, the field, the source path and the value's JSON type. */
public class MappingException extends RuntimeException {
    public MappingException(String message) {
        super(message);
    }
}
