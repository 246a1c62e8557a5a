package org.segmentbridge.identity;

/** An event that needs its person's primary key, which no event has supplied yet: it waits in the pending store. */
public class AwaitingIdentity extends RuntimeException {

    public AwaitingIdentity(String message) {
        super(message, null, false, false);
    }
}
