package org.segmentbridge.bench;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.main.Main;

/**
 * The ceiling of a Camel route: camel-main with the platform-http server the bridge serves with (camel-platform-http-vertx,
 * from the bridge's jar) and one route on the bridge's intake path, {@code platform-http:/v1/{call}}, that answers
 * {@code 200 {"success":true}} to whatever it is sent. The difference to {@link BareServer} is what Camel's HTTP
 * consumer and an exchange cost; the difference to the bridge is what the intake itself costs.
 * Usage: {@code BareCamel <port>}.
 */
public final class BareCamel {

    private BareCamel() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        // The bridge's application.properties is on the class path (its jar): this server must not read it.
        main.setDefaultPropertyPlaceholderLocation("false");
        main.addInitialProperty("camel.main.name", "bare-camel");
        main.addInitialProperty("camel.server.enabled", "true");
        main.addInitialProperty("camel.server.port", args[0]);
        main.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/v1/{call}")
                        .setHeader(Exchange.CONTENT_TYPE, constant("application/json"))
                        .setBody(constant("{\"success\":true}"));
            }
        });
        main.run();
    }
}
