package org.segmentbridge.intake;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.net.impl.TCPServerBase;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.StartupListener;
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
 * <p>
 * Camel's Vert.x server only logs a port it cannot listen on, and the context starts all the same: a bridge whose port
 * another process held reported itself healthy while that process answered its senders. So the start fails, before
 * any route starts, when either server is not listening, and says which setting names the port.
 */
public final class GatedHttpServerFactory implements MainHttpServerFactory, StartupListener {

    /** What is put on the server's router while it has no route yet. */
    @FunctionalInterface
    public interface Gate {
        void installOn(VertxPlatformHttpRouter router);
    }

    private final DefaultMainHttpServerFactory management = new DefaultMainHttpServerFactory();
    /** The setting (and its environment variable) that names each server's port. */
    private final Map<Integer, String> settingOfPort = new ConcurrentHashMap<>();

    @Override
    public Service newHttpServer(CamelContext context, HttpServerConfigurationProperties properties) {
        checkListensOnStart(context, properties.getPort(), "camel.server.port (BRIDGE_HTTP_PORT)");
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
        checkListensOnStart(context, properties.getPort(), "camel.management.port (BRIDGE_MANAGEMENT_PORT)");
        management.setCamelContext(context);
        return management.newHttpManagementServer(context, properties);
    }

    private void checkListensOnStart(CamelContext context, int port, String setting) {
        boolean first = settingOfPort.isEmpty();
        settingOfPort.put(port, setting);
        if (first) {
            try {
                context.addStartupListener(this);
            } catch (Exception e) {
                throw new IllegalStateException("the check that the HTTP servers listen could not be added", e);
            }
        }
    }

    /**
     * Called once the context's services (both servers among them) have started, before any route starts. Whether a
     * server listens is only known to Vert.x' server itself (its port reads as configured either way).
     */
    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        for (VertxPlatformHttpServer server : context.hasServices(VertxPlatformHttpServer.class)) {
            if (!(server.getServer() instanceof TCPServerBase listening && listening.isListening())) {
                int port = server.getConfigurationPort();
                throw new IllegalStateException("the bridge cannot listen on port " + port + " of " + server.getHost()
                        + ", set by " + settingOfPort.getOrDefault(port, "the HTTP server settings") + ": " + whyNotListening(server.getHost(), port)
                        + ". Stop what holds the port or choose another one.");
            }
        }
    }

    /** The operating system's reason, asked again: Vert.x only logged it. */
    private static String whyNotListening(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
            return "it was not free when the bridge started";
        } catch (IOException e) {
            return e.getMessage();
        }
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
