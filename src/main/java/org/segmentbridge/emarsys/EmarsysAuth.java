package org.segmentbridge.emarsys;

import java.util.Map;
import java.util.Set;

/** Authentication for one Emarsys API request attempt. */
public interface EmarsysAuth {

    /** Headers to add to ONE request attempt; called again for every attempt (a WSSE header expires, a token may be refreshed). */
    Map<String, String> headers();

    /** Identifies the credential (for rate limiting per API user): "wsse:<user>" or "oauth2:<client id>". Never the secret. */
    String credentialId();

    /** Names of the headers whose values are secrets (masked when a request is printed). */
    Set<String> secretHeaders();
}
