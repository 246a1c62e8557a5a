package org.segmentbridge.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;

/**
 * Serves the OpenAPI 3 description of every HTTP endpoint at {@code GET /openapi.json}, as written by hand in the
 * jar's {@code openapi.json}. It needs no credential: it holds no secret, and tools (client generators, API
 * explorers, contract tests) read it before they have one.
 */
public class ApiDescriptionRoutes extends RouteBuilder {

    /** Where the description is served, and where it is on the class path. */
    public static final String PATH = "/openapi.json";

    @Override
    public void configure() {
        byte[] description = load().getBytes(StandardCharsets.UTF_8);
        from("platform-http:" + PATH + "?httpMethodRestrict=GET").routeId("api-description")
                // Request headers (Authorization, ...) would otherwise be echoed back as response headers.
                .removeHeaders("*")
                .setHeader(Exchange.CONTENT_TYPE, constant("application/json"))
                // As bytes: a text constant would be trimmed, and the bytes need no encoding per request.
                .setBody(constant(description));
    }

    /** The description as packaged; read once, so a jar without it fails at start rather than at the first request. */
    static String load() {
        try (InputStream in = ApiDescriptionRoutes.class.getResourceAsStream(PATH)) {
            if (in == null) {
                throw new IllegalStateException("the API description " + PATH + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the API description " + PATH, e);
        }
    }
}
