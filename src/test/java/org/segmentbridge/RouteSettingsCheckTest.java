package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Which placeholders of a route file must have a value, and on which lines (the start-up checks are in ToolsTest). */
class RouteSettingsCheckTest {

    @Test
    void aPlainKeyIsRequiredAndADefaultAFunctionOrCamelsOptionalFormAreNot() {
        String route = """
                - route:
                    from:
                      uri: "quartz:tick?cron={{my.cron}}"
                      steps:
                        - to: "deliver:x:a?list={{my.list}}&b={{my.b:}}&c={{my.c:fallback}}&d={{env:MY_D}}&e={{sys:my.e:1}}&f={{?my.f}}"
                        - to: "deliver:x:a?list={{ my.list }}"
                """;

        assertThat(RouteSettingsCheck.placeholders(route)).isEqualTo(Map.of("my.cron", List.of(3), "my.list", List.of(5, 6)));
    }

    @Test
    void commentsAreNotReadButAHashInsideQuotesIsNoComment() {
        String route = """
                # set {{in.a.comment}} first
                - route:
                    from:
                      uri: events:x   # {{after.a.value}}
                      steps:
                        - filter:
                            simple: "${header.tag} == '#{{in.quotes}}'"
                        - setBody:
                            constant: a#{{no.space.before.hash}}
                """;

        assertThat(RouteSettingsCheck.placeholders(route)).containsOnlyKeys("in.quotes", "no.space.before.hash");
    }
}
