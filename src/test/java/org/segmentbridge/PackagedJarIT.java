package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.PostgresServer;
import org.segmentbridge.support.RunningBridge;
import org.segmentbridge.support.TestFolders;
import org.segmentbridge.support.TestHttp;

/**
 * The packaged jar, run as a user would: {@code java -jar target/segment-bridge.jar} in a project folder, with no
 * settings at all (default ports 8080 and 9876, data in ./data).
 */
class PackagedJarIT {

    @Test
    void startsWithNoSettingsAnswersHealthAndLogsWhatIsDisabled() throws Exception {
        Path projectFolder = TestFolders.create("bridge-project-");
        Files.copy(Path.of("application.properties"), projectFolder.resolve("application.properties"));
        Files.createDirectories(projectFolder.resolve("routes"));
        Files.createDirectories(projectFolder.resolve("mappings"));

        try (BridgeProcess bridge = BridgeProcess.launch(javaDashJar(), projectFolder, Map.of(), 9876)) {
            Duration startup = bridge.awaitHealthy(Duration.ofSeconds(60));
            System.out.printf("packaged jar healthy after %d ms%n", startup.toMillis());

            HttpResponse<String> refused = TestHttp.client(Duration.ofSeconds(5)).send(HttpRequest.newBuilder(
                            URI.create("http://localhost:8080/v1/track"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"u\",\"event\":\"E\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(bridge.output())
                    .contains("Endpoint /v1/* is disabled and answers 401: BRIDGE_WRITE_KEYS is not set")
                    .contains("Endpoint /webhooks/segment is disabled and answers 401: SEGMENT_WEBHOOK_SECRET is not set");
            assertThat(projectFolder.resolve("data").resolve("queue")).isDirectory();
            assertThat(projectFolder.resolve("data").resolve("state")).isDirectory();
        }
    }

    @Test
    void settingsEditedInTheProjectFolderWinOverThePackagedDefaultsAndSecretsStayOutOfTheLog() throws Exception {
        Path projectFolder = TestFolders.create("bridge-project-");
        int httpPort = RunningBridge.freePort();
        int managementPort = RunningBridge.freePort();
        String edited = Files.readString(Path.of("application.properties"))
                .replace("{{env:BRIDGE_HTTP_PORT:8080}}", Integer.toString(httpPort))
                .replace("{{env:BRIDGE_MANAGEMENT_PORT:9876}}", Integer.toString(managementPort))
                .replace("{{env:BRIDGE_WRITE_KEYS:}}", "literal-write-key-in-file");
        Files.writeString(projectFolder.resolve("application.properties"), edited);
        Files.createDirectories(projectFolder.resolve("routes"));

        try (BridgeProcess bridge = BridgeProcess.launch(javaDashJar(), projectFolder, Map.of(), managementPort)) {
            bridge.awaitHealthy(Duration.ofSeconds(60));

            HttpResponse<String> accepted = TestHttp.client(Duration.ofSeconds(5)).send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + httpPort + "/v1/track"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", RunningBridge.basic("literal-write-key-in-file"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"u\",\"event\":\"E\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
            assertThat(bridge.output()).doesNotContain("literal-write-key-in-file")
                    .doesNotContain("Endpoint /v1/* is disabled");
        }
    }

    /**
     * State on PostgreSQL with nothing but the jar: its driver and Flyway's PostgreSQL support are inside it (java -jar
     * ignores -cp), and the settings are the README's environment variables. A resent event is answered 200 and
     * stored once, and the schema is PostgreSQL's, made by Flyway: no state file in the data folder.
     */
    @Test
    void theJarKeepsItsStateInPostgresqlFromTheEnvironmentVariables() throws Exception {
        Path projectFolder = TestFolders.create("bridge-project-");
        Files.copy(Path.of("application.properties"), projectFolder.resolve("application.properties"));
        Files.createDirectories(projectFolder.resolve("routes"));
        int httpPort = RunningBridge.freePort();
        int managementPort = RunningBridge.freePort();
        PostgresServer postgres = PostgresServer.shared();
        String database = postgres.createDatabase("packaged_jar");
        Map<String, String> environment = new java.util.HashMap<>(postgres.environment(database));
        environment.putAll(Map.of("BRIDGE_HTTP_PORT", Integer.toString(httpPort), "BRIDGE_MANAGEMENT_PORT",
                Integer.toString(managementPort), "BRIDGE_WRITE_KEYS", "jar-on-postgresql"));

        try (BridgeProcess bridge = BridgeProcess.launch(javaDashJar(), projectFolder, environment, managementPort)) {
            bridge.awaitHealthy(Duration.ofSeconds(60));
            List<Integer> statuses = new java.util.ArrayList<>();
            for (int copy = 0; copy < 2; copy++) {
                statuses.add(TestHttp.client(Duration.ofSeconds(5)).send(HttpRequest.newBuilder(
                                URI.create("http://localhost:" + httpPort + "/v1/track"))
                        .header("Content-Type", "application/json")
                        .header("Authorization", RunningBridge.basic("jar-on-postgresql"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"userId\":\"u\",\"event\":\"E\",\"messageId\":\"jar-1\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            }

            assertThat(statuses).as(bridge.output()).containsExactly(200, 200);
            try (java.sql.Connection connection = java.sql.DriverManager.getConnection(postgres.jdbcUrl(database),
                    PostgresServer.USER, PostgresServer.PASSWORD);
                 java.sql.ResultSet rows = connection.createStatement().executeQuery(
                         "SELECT COUNT(*) FROM received_message WHERE message_id = 'jar-1'")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getInt(1)).as("the messageId in PostgreSQL's ledger").isEqualTo(1);
            }
            assertThat(projectFolder.resolve("data").resolve("state")).doesNotExist();
            assertThat(bridge.output()).doesNotContain(PostgresServer.PASSWORD);
        }
    }

    /** The shaded jar merges every META-INF/services file: the vendors are found there as on the class path. */
    @Test
    void checkOnTheShippedProjectFindsTheFourVendorsInThePackagedJar() throws Exception {
        List<String> check = new java.util.ArrayList<>(javaDashJar());
        check.add("check");

        BridgeProcess.Finished finished = BridgeProcess.runToEnd(check, Path.of("").toAbsolutePath(), Map.of());

        assertThat(finished.exitCode()).as(finished.output()).isZero();
        assertThat(finished.output()).contains("vendors: emarsys, iterable, sailthru, segment",
                "destination emarsys: connector EmarsysConnector", "destination sailthru: connector SailthruConnector",
                "destination iterable: connector IterableConnector", "destination segment: connector SegmentConnector",
                "check passed");
    }

    /**
     * bin/segment-bridge, the README's way to start the bridge, runs the jar with the JVM options it is measured with,
     * and with the build's class-data archive (src/build/class-data-archive), which fits the jar it was made with: the
     * bridge's own classes are mapped from the archive rather than loaded from the jar.
     */
    @Test
    void theLauncherStartsTheJarWithItsOptionsAndTheBuildsClassDataArchive() throws Exception {
        Path archive = Path.of("target", "segment-bridge.jsa").toAbsolutePath();
        assertThat(archive).as("made by the package phase's class-data-archive execution").isRegularFile();
        Path projectFolder = TestFolders.create("bridge-project-");
        Files.copy(Path.of("application.properties"), projectFolder.resolve("application.properties"));
        Files.createDirectories(projectFolder.resolve("routes"));
        Path classLog = projectFolder.resolve("classes.log");
        int managementPort = RunningBridge.freePort();
        Map<String, String> environment = Map.of("JAVA_HOME", System.getProperty("java.home"),
                "BRIDGE_JVM_OPTIONS", "-Xmx256m -XX:TieredStopAtLevel=1 -Xlog:class+load=info:file=" + classLog,
                "BRIDGE_HTTP_PORT", Integer.toString(RunningBridge.freePort()),
                "BRIDGE_MANAGEMENT_PORT", Integer.toString(managementPort));

        try (BridgeProcess bridge = BridgeProcess.launch(List.of("bash", Path.of("bin", "segment-bridge").toAbsolutePath().toString()),
                projectFolder, environment, managementPort)) {
            bridge.awaitHealthy(Duration.ofSeconds(60));

            assertThat(bridge.commandLine()).as("the launcher execs the JVM with its options and the archive")
                    .contains("-XX:TieredStopAtLevel=1", "-XX:SharedArchiveFile=" + archive, "-jar " + Path.of("target",
                            "segment-bridge.jar").toAbsolutePath());
            assertThat(Files.readAllLines(classLog))
                    .as("the bridge's main class comes from the archive's top layer, not from the jar")
                    .anyMatch(line -> line.contains(" org.segmentbridge.Bridge source: shared objects file (top)"))
                    .noneMatch(line -> line.contains(" org.segmentbridge.Bridge source: file:"));
        }
    }

    private static List<String> javaDashJar() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", Path.of("target", "segment-bridge.jar").toAbsolutePath().toString());
    }
}
