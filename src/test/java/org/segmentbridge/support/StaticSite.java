package org.segmentbridge.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** A website of its own origin for browser tests: one page, and the files of a folder under a path. */
public final class StaticSite implements AutoCloseable {

    private final HttpServer server;
    private volatile String page = "";

    /** @param assets served under {@code assetPath}, e.g. {@code /umd/} */
    public StaticSite(String assetPath, Path assets) {
        try {
            server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/", exchange -> reply(exchange, 200, "text/html; charset=utf-8", page.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        server.createContext(assetPath, exchange -> {
            Path file = assets.resolve(exchange.getRequestURI().getPath().substring(assetPath.length())).normalize();
            if (!file.startsWith(assets) || !Files.isRegularFile(file)) {
                reply(exchange, 404, "text/plain", new byte[0]);
            } else {
                reply(exchange, 200, "application/javascript", Files.readAllBytes(file));
            }
        });
        server.start();
    }

    /** The page at {@code /}: a template's {@code ${name}} placeholders replaced. */
    public void page(String template, Map<String, String> values) {
        String filled = template;
        for (Map.Entry<String, String> value : values.entrySet()) {
            filled = filled.replace("${" + value.getKey() + "}", value.getValue());
        }
        page = filled;
    }

    public String url() {
        return "http://localhost:" + server.getAddress().getPort() + "/";
    }

    private static void reply(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
