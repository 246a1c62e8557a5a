package org.segmentbridge.sailthru;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Sailthru's signature, on the documented test vector. */
class SailthruRequestsTest {

    @Test
    void signatureIsMd5OfTheSecretAndTheSortedValues() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("api_key", "testkey");
        params.put("format", "json");
        params.put("json", "{\"id\": \"a@b.com\"}");

        assertThat(SailthruRequests.signature("testsecret", params)).isEqualTo("efb56d21c8d260d435358cfb76134fef");
    }
}
