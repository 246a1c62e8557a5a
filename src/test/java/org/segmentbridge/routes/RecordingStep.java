package org.segmentbridge.routes;

import java.util.Map;
import java.util.stream.Collectors;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

/**
 * Test double for a route step component ({@code deliver:}, {@code identity:}, {@code consent:}, {@code crossing:},
 * {@code once:}): it does none of the real step's work and hands a copy of every exchange it gets to a
 * {@link MockEndpoint}, with the call as the route file wrote it (placeholders resolved) in the header
 * {@link #CALL}, e.g. {@code deliver:iterable:unsubscribe?channels=&messageTypes=101,102}: the parameters come
 * in name order, as Camel normalizes endpoint URIs before it creates them.
 *
 * <p>Camel's {@code mock:} component cannot stand in for these directly: it refuses the steps' own parameters
 * ({@code messageTypes}, {@code path} ...). This endpoint takes any parameter and keeps it for the recorded call.
 *
 * <p>A step that may stop the route (a send guard, a threshold crossing) is open by default, so the test sees
 * every call the route file would make; {@link #sayNo()} makes it stop the route the way the real step does for an
 * opted-out person or an event that crosses nothing, to show what the route leaves undone behind it.
 */
final class RecordingStep extends DefaultComponent {

    /** The header holding the recorded call, {@code <scheme>:<path>?<parameters by name>}. */
    static final String CALL = "routeCall";

    private final String recorderUri;
    private volatile boolean closed;

    /** @param recorderUri the mock endpoint that receives the calls, e.g. {@code mock:deliver} */
    RecordingStep(String recorderUri) {
        this.recorderUri = recorderUri;
    }

    /** From now on the step stops the route after recording its call, as the real one does when it says no. */
    void sayNo() {
        closed = true;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        String query = parameters.entrySet().stream()
                .map(parameter -> parameter.getKey() + "=" + parameter.getValue())
                .collect(Collectors.joining("&"));
        String call = scheme(uri) + ":" + remaining + (query.isEmpty() ? "" : "?" + query);
        // The parameters are only recorded; taken off the map so Camel does not refuse them as unknown options.
        parameters.clear();
        return new RecordingEndpoint(uri, this, call);
    }

    private static String scheme(String uri) {
        return uri.substring(0, uri.indexOf(':'));
    }

    private final class RecordingEndpoint extends DefaultEndpoint {

        private final String call;

        RecordingEndpoint(String uri, RecordingStep component, String call) {
            super(uri, component);
            this.call = call;
        }

        @Override
        public Producer createProducer() {
            return new DefaultProducer(this) {
                @Override
                public void process(Exchange exchange) throws Exception {
                    Exchange recorded = exchange.copy();
                    recorded.getMessage().setHeader(CALL, call);
                    getCamelContext().getEndpoint(recorderUri, MockEndpoint.class).handle(recorded);
                    if (closed) {
                        exchange.setRouteStop(true);
                    }
                }
            };
        }

        @Override
        public Consumer createConsumer(Processor processor) {
            throw new UnsupportedOperationException(call + " is a route step (to:), not a route start");
        }
    }
}
