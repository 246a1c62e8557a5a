package org.segmentbridge.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.segmentbridge.support.TestFolders;

/**
 * The monitoring under {@code ops/} is valid for Prometheus' own tool: the alert rules load ({@code promtool check
 * rules}), their unit tests pass ({@code promtool test rules}), and every dashboard query parses. That each metric
 * they read is exported is {@link ObservedBridgeTest}'s part.
 */
class AlertRulesTest {

    private record Run(int exitCode, String output) {
    }

    @Test
    void theAlertRulesLoad() throws Exception {
        Run check = promtool("check", "rules", MonitoringFiles.ALERTS.toString());

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + MonitoringFiles.alertExpressions().size() + " rules found");
    }

    @Test
    void theAlertRulesPassTheirUnitTests() throws Exception {
        Run test = promtool("test", "rules", MonitoringFiles.ALERT_TESTS.toString());

        assertThat(test.exitCode()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    /** Each dashboard query, with Grafana's variables filled in, as a recording rule: promtool parses every one. */
    @Test
    void everyDashboardQueryIsValidPromQl() throws Exception {
        List<String> rules = new ArrayList<>(List.of("groups:", "  - name: dashboard", "    rules:"));
        int index = 0;
        for (Map.Entry<String, String> query : MonitoringFiles.dashboardQueries().entrySet()) {
            if (MonitoringFiles.isPromQl(query.getValue())) {
                rules.add("      - record: dashboard_query_" + index++);
                rules.add("        expr: '" + MonitoringFiles.asPromQl(query.getValue()).replace("'", "''") + "'");
            }
        }
        Path file = TestFolders.create("dashboard-queries-").resolve("queries.yml");
        Files.write(file, rules, StandardCharsets.UTF_8);

        Run check = promtool("check", "rules", file.toString());

        assertThat(index).as("dashboard queries").isGreaterThan(20);
        assertThat(check.exitCode()).as(String.join("\n", rules) + "\n" + check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: " + index + " rules found");
    }

    @Test
    void theMetricNamesOfAQueryLeaveOutFunctionsLabelsKeywordsAndVariables() {
        assertThat(MonitoringFiles.metricNames("max by (destination) (avg_over_time((bridge_delivery_paused_seconds > bool 0)[10m:15s])) > 0.5"))
                .containsExactly("bridge_delivery_paused_seconds");
        assertThat(MonitoringFiles.metricNames("sum by (destination) (rate(a_total{outcome=\"dead_lettered\", instance=~\"$instance\"}[$__rate_interval]))"
                + " / on (destination) group_left sum without (action) (rate(b_count[5m] offset 1h)) and c unless absent(d)"))
                .containsExactly("a_total", "b_count", "c", "d");
        assertThat(MonitoringFiles.metricNames("label_values(bridge_queue_depth, destination)")).containsExactly("bridge_queue_depth");
        assertThat(MonitoringFiles.metricNames("predict_linear(disk_bytes[1h], 4 * 3600) < 1e3")).containsExactly("disk_bytes");
    }

    /** Runs Debian's promtool from the project folder; its absence fails, saying how to install it. */
    private static Run promtool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(arguments));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return fail("promtool is not installed (" + notInstalled.getMessage() + "): it comes with Debian's prometheus "
                    + "package, `apt-get install -y prometheus` (.ci/run installs it when it is missing)");
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return fail("promtool " + String.join(" ", arguments) + " did not end within 60 s");
        }
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
