package org.segmentbridge.admin;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Message;
import org.segmentbridge.identity.IdentityStore;
import org.segmentbridge.state.PersonKeys;

/**
 * {@code GET /admin/people?email=|userId=}, behind the admin token: what the identity store links to a person, the
 * same links an erasure of that email or userId would follow. Their consent and erasure audit are under
 * {@code /admin/privacy}.
 */
public class PeopleRoutes extends AdminRouteBuilder {

    private final IdentityStore identity;

    public PeopleRoutes(Optional<String> token, IdentityStore identity) {
        super(token);
        this.identity = identity;
    }

    @Override
    public void configure() {
        serve("GET", "/admin/people").routeId("admin-people")
                .process(exchange -> answer(exchange, () -> person(exchange.getMessage())));
    }

    private JsonNode person(Message query) {
        Optional<String> email = identifier(query, "email");
        Optional<String> userId = identifier(query, "userId");
        if (email.isPresent() == userId.isPresent()) {
            throw new AdminError(400, "give exactly one of the parameters email and userId: /admin/people?email=... or ?userId=...");
        }
        PersonKeys links = identity.linksOf(email, userId);
        if (links.personIds().isEmpty()) {
            throw new AdminError(404, "the bridge knows no person with this " + (email.isPresent() ? "email" : "userId"));
        }
        ObjectNode reply = JSON.createObjectNode();
        links.personIds().forEach(reply.putArray("personIds")::add);
        links.keys().forEach(reply.putArray("emails")::add);
        links.userIds().forEach(reply.putArray("userIds")::add);
        links.anonymousIds().forEach(reply.putArray("anonymousIds")::add);
        return reply;
    }

    /** A userId or email as the identity store keeps them: too long a one names nobody it could have. */
    private static Optional<String> identifier(Message query, String name) {
        return identifier(name, parameter(query, name));
    }
}
