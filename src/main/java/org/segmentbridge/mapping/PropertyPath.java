package org.segmentbridge.mapping;

import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonPointer;

/**
 * A JSONPath that is a plain chain of property names ({@code $.traits.address.city}), read as the JSON pointer it
 * amounts to: Jayway builds the path's text, an evaluation context and a result list for every read, a pointer none.
 * The pointer finds what Jayway finds with its exceptions suppressed: a name never starts with a digit, so a step into
 * an array or a scalar finds nothing, as it does in Jayway.
 */
public final class PropertyPath {

    private static final Pattern NAME_CHAIN = Pattern.compile("\\$(\\.[A-Za-z_][A-Za-z0-9_]*)+");

    private PropertyPath() {
    }

    /** The pointer {@code jsonPath} amounts to, or empty when it is more than a chain of names. */
    public static Optional<JsonPointer> pointerOf(String jsonPath) {
        return NAME_CHAIN.matcher(jsonPath).matches()
                ? Optional.of(JsonPointer.compile(jsonPath.substring(1).replace('.', '/')))
                : Optional.empty();
    }
}
