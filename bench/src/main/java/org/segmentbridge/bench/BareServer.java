package org.segmentbridge.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

/**
 * The ceiling: a bare Vert.x HTTP server (the Vert.x inside the bridge's jar) whose one handler reads the request body
 * and answers {@code 200 {"success":true}} without doing anything else. Like the bridge's platform-http server, it is
 * one HttpServer on the default Vert.x instance. Usage: {@code BareServer <port>}; prints "listening <port>".
 */
public final class BareServer {

    private BareServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer()
                .requestHandler(request -> request.end().onComplete(read -> request.response()
                        .putHeader("Content-Type", "application/json")
                        .end("{\"success\":true}")))
                .listen(port).toCompletionStage().toCompletableFuture().get();
        System.out.println("listening " + server.actualPort());
        System.out.flush();
        Thread.currentThread().join();
    }
}
