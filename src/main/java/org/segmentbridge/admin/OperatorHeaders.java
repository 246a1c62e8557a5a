package org.segmentbridge.admin;

import org.apache.camel.CamelContext;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;

/**
 * The HTTP header filter of the operator endpoints and the console: Camel's own, except that a response may say
 * {@code Cache-Control} itself (Camel drops that header from every response by default), since what they answer
 * names people and must never be kept by a browser or a proxy.
 */
public final class OperatorHeaders extends HttpHeaderFilterStrategy {

    private static final String BEAN = "operatorHeaders";

    private OperatorHeaders() {
        getOutFilter().remove("cache-control");
    }

    /**
     * A platform-http endpoint for a path and method, with this filter (bound in the context's registry on first use).
     *
     * @param path   e.g. {@code /admin/destinations}
     * @param method GET, POST or DELETE
     */
    public static String endpoint(CamelContext context, String path, String method) {
        if (context.getRegistry().lookupByNameAndType(BEAN, OperatorHeaders.class) == null) {
            context.getRegistry().bind(BEAN, new OperatorHeaders());
        }
        return "platform-http:" + path + "?httpMethodRestrict=" + method + "&headerFilterStrategy=#" + BEAN;
    }
}
