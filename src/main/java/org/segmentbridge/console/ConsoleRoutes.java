package org.segmentbridge.console;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.segmentbridge.admin.OperatorHeaders;

/**
 * The operator console: {@code GET /console} and its script and style sheet, from the jar ({@code console/}). The page
 * carries no data and needs no token to load; its script asks for the admin token and reads everything from the
 * {@code /admin/*} endpoints with it, keeping the token in the tab's session storage only.
 *
 * <p>Every answer forbids what the page does not need (a strict Content-Security-Policy: no inline script or style,
 * nothing from elsewhere, no framing, no form posts) and is never cached or sniffed.
 */
public class ConsoleRoutes extends RouteBuilder {

    /** What the console may load and do; also declared in openapi.json, which the conformance test holds to this. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /** What is served: the path under {@code /console} → the resource and its type. Nothing else is. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "", new Asset("console/index.html", "text/html; charset=utf-8"),
            "console.js", new Asset("console/console.js", "text/javascript; charset=utf-8"),
            "console.css", new Asset("console/console.css", "text/css; charset=utf-8"));

    private record Asset(String resource, String contentType) {
    }

    @Override
    public void configure() {
        Map<String, byte[]> contents = new java.util.HashMap<>();
        ASSETS.forEach((path, asset) -> contents.put(path, read(asset.resource())));
        from(OperatorHeaders.endpoint(getContext(), "/console", "GET")).routeId("console-page")
                .process(exchange -> serve(exchange, "", contents));
        from(OperatorHeaders.endpoint(getContext(), "/console/{asset}", "GET")).routeId("console-assets")
                .process(exchange -> serve(exchange, exchange.getMessage().getHeader("asset", String.class), contents));
    }

    private static void serve(Exchange exchange, String path, Map<String, byte[]> contents) {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        Asset asset = ASSETS.get(path);
        if (asset == null) {
            message.setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            message.setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=utf-8");
            message.setBody("not found");
        } else {
            message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            message.setHeader(Exchange.CONTENT_TYPE, asset.contentType());
            message.setBody(contents.get(path));
        }
        message.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        message.setHeader("X-Content-Type-Options", "nosniff");
        message.setHeader("Referrer-Policy", "no-referrer");
        message.setHeader("Cache-Control", "no-store");
        message.setHeader("X-Frame-Options", "DENY");
    }

    private static byte[] read(String resource) {
        try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the console's " + resource + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("the console's " + resource + " could not be read: " + e.getMessage(), e);
        }
    }
}
