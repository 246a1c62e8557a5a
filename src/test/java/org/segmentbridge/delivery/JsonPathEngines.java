package org.segmentbridge.delivery;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.jsonpath.JsonPathLanguage;
import org.apache.camel.spi.Language;
import org.apache.camel.support.DefaultExchange;

/**
 * The routes' {@code jsonpath} language (bound as the bridge binds it) beside Camel's own engine, in one started
 * context, for tests that hold one against the other.
 */
final class JsonPathEngines implements AutoCloseable {

    private final CamelContext context = new DefaultCamelContext();
    /** What a route's {@code jsonpath:} resolves to: {@link ParsedEventJsonPath}. */
    final Language routes;
    /** Camel's own engine, which reads a body as a JSON string. */
    final Language camels;

    JsonPathEngines() {
        context.getRegistry().bind(ParsedEventJsonPath.NAME, new ParsedEventJsonPath());
        context.start();
        routes = context.resolveLanguage("jsonpath");
        JsonPathLanguage own = new JsonPathLanguage();
        own.setCamelContext(context);
        camels = own;
    }

    Exchange exchange(Object body) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        return exchange;
    }

    @Override
    public void close() {
        context.stop();
    }
}
