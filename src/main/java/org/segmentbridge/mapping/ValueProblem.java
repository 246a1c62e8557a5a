package org.segmentbridge.mapping;

/** A value that cannot be transformed or converted; the field turns it into a MappingException with its context. */
final class ValueProblem extends Exception {
    ValueProblem(String message) {
        super(message, null, false, false);
    }
}
