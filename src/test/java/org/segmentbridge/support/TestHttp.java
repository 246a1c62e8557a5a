package org.segmentbridge.support;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The tests' HTTP client. It speaks HTTP/1.1, as Segment's webhooks and SDKs do on plain {@code http://}. The JDK's
 * default asks each new connection for an h2c upgrade, which the bridge's Vert.x server grants; once, under CI's load,
 * the client then read a 78 KB HTTP/1.1 body ({@code /openapi.json}) as HTTP/2 frames and failed a test that had
 * nothing to do with HTTP/2.
 */
public final class TestHttp {

    private TestHttp() {
    }

    public static HttpClient client(Duration connectTimeout) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout).build();
    }
}
