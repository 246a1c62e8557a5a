package org.segmentbridge.intake;

import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.DefaultMainHttpServerFactory;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * The bridge's HTTP server ({@code camel.server.*}): Camel's own Vert.x platform-http server, with the intake's gate
 * put on its router before it listens. Camel's default server listens while the context is still starting, before
 * its routes; a request in that window got Vert.x' 404, which Segment's libraries take as final and drop the event.
 * With the gate in place from the first request on, it gets 503 "starting" and a Retry-After instead.
 * <p>
 * camel-main looks this factory up in the registry (Camel's way to provide another server) before the bridge's
 * configuration runs, so the gate itself is looked up when the server starts: the one {@link Gate} in the registry.
 * The management server ({@code camel.management.*}) is Camel's default one.
 */
public final class GatedHttpServerFactory implements MainHttpServerFactory {

    /** What is put on the server's router while it has no route yet. */
    @FunctionalInterface
    public interface Gate {
        void installOn(VertxPlatformHttpRouter router);
    }

    private final DefaultMainHttpServerFactory management = new DefaultMainHttpServerFactory();

    @Override
    public Service newHttpServer(CamelContext context, HttpServerConfigurationProperties properties) {
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindHost(properties.getHost());
        configuration.setBindPort(properties.getPort());
        configuration.setPath(properties.getPath());
        configuration.setMaxBodySize(properties.getMaxBodySize());
        configuration.setUseGlobalSslContextParameters(properties.isUseGlobalSslContextParameters());
        // What Camel's own main server calls itself: platform-http consumers look its router up by this type.
        configuration.setServerType("server");
        GatedServer server = new GatedServer(configuration);
        server.setCamelContext(context);
        return server;
    }

    @Override
    public Service newHttpManagementServer(CamelContext context, HttpManagementServerConfigurationProperties properties) {
        management.setCamelContext(context);
        return management.newHttpManagementServer(context, properties);
    }

    private static final class GatedServer extends VertxPlatformHttpServer {

        GatedServer(VertxPlatformHttpServerConfiguration configuration) {
            super(configuration);
        }

        /** Camel's server makes its router here and listens right after: the one moment the router is empty and closed. */
        @Override
        protected void initializeServer() {
            super.initializeServer();
            VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getCamelContext(),
                    VertxPlatformHttpRouter.getRouterNameFromPort(getConfigurationPort()));
            if (router == null) {
                throw new IllegalStateException("Camel's platform-http server made no router for port " + getConfigurationPort()
                        + "; the intake's gate cannot be put on it");
            }
            Gate gate = getCamelContext().getRegistry().findSingleByType(Gate.class);
            if (gate == null) {
                throw new IllegalStateException("no intake gate is configured for the bridge's HTTP server");
            }
            gate.installOn(router);
        }
    }
}
