package org.segmentbridge.emarsys;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Actions;
import org.segmentbridge.delivery.Connector;
import org.segmentbridge.delivery.DestinationSettings;
import org.segmentbridge.delivery.OutboundRequest;
import org.segmentbridge.delivery.VendorTransport;
import org.segmentbridge.state.ClusterLocks;

/**
 * Emarsys Core API v2: contacts, external events, contact lists and deletion, authenticated by WSSE or OAuth2
 * (setting {@code bridge.destination.<name>.auth}).
 */
public final class EmarsysConnector implements Connector {

    private final EmarsysHttp http = new EmarsysHttp();
    private final EmarsysDirectory directory = new EmarsysDirectory(http);
    private volatile VendorTransport transport;
    private final Actions actions = new Actions("Emarsys",
            new ContactUpsert(this), new EventTrigger(this), new ListAdd(this), new ListRemove(this), new Audience(this),
            new ContactDelete(this));
    private volatile Optional<EmarsysAuth> auth;

    @Override
    public Actions actions() {
        return actions;
    }

    @Override
    public void useTransport(VendorTransport transport) {
        this.transport = transport;
        http.use(transport);
    }

    @Override
    public java.net.URI baseUrl(DestinationSettings settings) {
        return EmarsysAuth.baseUrl(settings);
    }

    @Override
    public boolean hasCredentials(DestinationSettings settings) {
        return auth(settings).isPresent();
    }

    @Override
    public String credentialId(DestinationSettings settings) {
        return auth(settings).map(EmarsysAuth::credentialId).orElse("emarsys:none");
    }

    @Override
    public OutboundRequest authorize(OutboundRequest request, DestinationSettings settings) {
        OutboundRequest authorized = request;
        for (Map.Entry<String, String> header : auth(settings).orElseThrow().headers().entrySet()) {
            authorized = authorized.withHeader(header.getKey(), header.getValue());
        }
        return authorized;
    }

    @Override
    public Set<String> secretHeaders() {
        return Set.of("X-WSSE", "Authorization");
    }

    Optional<EmarsysAuth> auth(DestinationSettings settings) {
        Optional<EmarsysAuth> known = auth;
        if (known == null) {
            synchronized (this) {
                if (auth == null) {
                    auth = EmarsysAuth.from(settings, transport, Clock.systemUTC());
                }
                known = auth;
            }
        }
        return known;
    }

    EmarsysDirectory directory() {
        return directory;
    }

    /** The cluster-wide locks under which contact lists are created (see {@link EmarsysDirectory#listId}). */
    void useLocks(ClusterLocks locks) {
        directory.useLocks(locks);
    }

    /** Every action's {@code keyField}: the field that identifies contacts, 3 (the email) unless the route says. */
    static final ActionParameter KEY_FIELD = ActionParameter.text("keyField",
            "the contact field that identifies contacts, by id or name").defaultsTo("3");

    /** The contact key field: the route's {@code keyField} parameter (a field id or name), else 3, the email. */
    static String keyField(Action.Input input) {
        return input.parameter(KEY_FIELD);
    }

    /** The contact's key for this event: the resolved primary key, else the key field's mapped value. */
    static String contactKey(Action.Input input, String action) {
        if (input.primaryKey() != null) {
            return input.primaryKey();
        }
        com.fasterxml.jackson.databind.JsonNode mapped = input.fields().get(keyField(input));
        if (mapped != null && !mapped.asText().isBlank()) {
            return mapped.asText();
        }
        throw new org.segmentbridge.delivery.ActionException("emarsys " + action + " needs the contact's key (field "
                + keyField(input) + "), and neither the event nor the identity store has one: put identity:require-key "
                + "before it to wait for the key, or map the key field");
    }

    /** Splits a batch key made of several parts. */
    static String[] parts(String group) {
        return group.split("\u0000", -1);
    }

    static String group(String... parts) {
        return String.join("\u0000", parts);
    }
}
