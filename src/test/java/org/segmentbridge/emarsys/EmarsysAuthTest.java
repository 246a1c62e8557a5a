package org.segmentbridge.emarsys;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class EmarsysAuthTest {

    private static final Instant CREATED = Instant.parse("2014-03-20T12:51:45Z");

    @Nested
    class Wsse {

        private static final Pattern HEADER = Pattern.compile(
                "UsernameToken Username=\"([^\"]*)\", PasswordDigest=\"([^\"]*)\", Nonce=\"([^\"]*)\", Created=\"([^\"]*)\"");

        @Test
        void digestIsBase64OfTheHexSha1Text() {
            assertThat(WsseAuth.passwordDigest("d36e316282959a9ed4c89851497a717f", "2014-03-20T12:51:45Z", "customersecret"))
                    .isEqualTo("YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==");
        }

        @Test
        void headerCarriesUserDigestNonceAndCreatedToTheSecond() {
            Clock clock = Clock.fixed(CREATED.plusMillis(789), ZoneOffset.UTC);
            WsseAuth auth = new WsseAuth("customer001", "customersecret", clock, () -> "d36e316282959a9ed4c89851497a717f");

            assertThat(auth.headers()).containsExactly(Map.entry("X-WSSE",
                    "UsernameToken Username=\"customer001\", "
                            + "PasswordDigest=\"YWQyNWE5Y2JkOTY2ZTU1ODg2M2QzNzVhNDZlZGQwZjg5YjZlZTk4Yw==\", "
                            + "Nonce=\"d36e316282959a9ed4c89851497a717f\", Created=\"2014-03-20T12:51:45Z\""));
            assertThat(auth.credentialId()).isEqualTo("wsse:customer001");
            assertThat(auth.secretHeaders()).containsExactly("X-WSSE");
            assertThat(auth.toString()).doesNotContain("customersecret");
        }

        @Test
        void everyAttemptGetsAFreshNonceAndItsOwnValidDigest() {
            WsseAuth auth = new WsseAuth("customer001", "customersecret", Clock.systemUTC());

            Matcher first = parse(auth.headers().get("X-WSSE"));
            Matcher second = parse(auth.headers().get("X-WSSE"));

            assertThat(first.group(3)).matches("[0-9a-f]{32}").isNotEqualTo(second.group(3));
            assertThat(second.group(3)).matches("[0-9a-f]{32}");
            for (Matcher header : new Matcher[] {first, second}) {
                assertThat(header.group(1)).isEqualTo("customer001");
                assertThat(header.group(4)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
                assertThat(header.group(2))
                        .isEqualTo(WsseAuth.passwordDigest(header.group(3), header.group(4), "customersecret"));
            }
        }

        private Matcher parse(String header) {
            Matcher matcher = HEADER.matcher(header);
            assertThat(matcher.matches()).as("X-WSSE header %s", header).isTrue();
            return matcher;
        }
    }
}
