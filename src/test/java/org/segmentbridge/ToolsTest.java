package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.segmentbridge.delivery.DeliveryHarness;
import org.segmentbridge.delivery.FakeVendor;
import org.segmentbridge.support.BridgeProcess;
import org.segmentbridge.support.BridgeProcess.Finished;
import org.segmentbridge.support.TestFolders;

/**
 * {@code check} and {@code try} run as processes, as a user runs them: on the shipped project and samples, and on a
 * project whose destination {@code test} is served by the test suite's fake vendor (configured by environment variables).
 */
class ToolsTest {

    private static final Path PROJECT = Path.of("").toAbsolutePath();

    private static final String ROUTES = (DeliveryHarness.route("contacts", "identify", "deliver:%1$s:bulk?list=newsletter&mapping=contact")
            + DeliveryHarness.route("tracks", "track", "identity:require-key", "deliver:%1$s:single")).formatted("test");
    private static final String CONTACT = """
            fields:
              - to: 3
                from: [$.traits.email, $.context.traits.email]
                transforms: [trim, lowercase]
                required: true
              - to: first_name
                from: $.traits.firstName
            """;

    private static Path fakeVendorProject(String routes, String mapping) throws IOException {
        Path folder = TestFolders.create("bridge-tools-");
        Files.copy(PROJECT.resolve("application.properties"), folder.resolve("application.properties"));
        Files.createDirectories(folder.resolve("routes/test"));
        Files.createDirectories(folder.resolve("mappings"));
        Files.writeString(folder.resolve("routes/test/use-cases.yaml"), routes);
        Files.writeString(folder.resolve("mappings/contact.yaml"), mapping);
        return folder;
    }

    private static Map<String, String> fakeVendor(String... more) {
        Map<String, String> environment = new HashMap<>(Map.of(
                "BRIDGE_DESTINATIONS", "test",
                "BRIDGE_DESTINATION_TEST_VENDOR", FakeVendor.NAME,
                "BRIDGE_DESTINATION_TEST_BASE_URL", "https://vendor.example/v1"));
        for (int i = 0; i < more.length; i += 2) {
            environment.put(more[i], more[i + 1]);
        }
        return environment;
    }

    @Test
    void checkPassesOnTheShippedProject() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT, Map.of());

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("settings: ok", "routes: 26 ok", "destination emarsys: connector EmarsysConnector, 7 route(s)",
                "destination sailthru: connector SailthruConnector, 7 route(s)",
                "destination iterable: connector IterableConnector, 9 route(s)",
                "destination segment: connector SegmentConnector, 1 route(s)", "check passed");
    }

    @Test
    void checkReportsTheDestinationsRoutesAndMappings() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), fakeVendorProject(ROUTES, CONTACT), fakeVendor());

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains(
                "mappings: 1 ok [contact]",
                "routes: 2 ok [test-contacts, test-tracks]",
                "destination test: connector FakeVendorConnector, 2 route(s)",
                "check passed");
    }

    @Test
    void checkBuildsRoutesWithoutRunningThem() throws IOException {
        Path project = fakeVendorProject(ROUTES + """
                - route:
                    id: test-queue-reader
                    from:
                      uri: jms:queue:segment.events::test
                      steps:
                        - to: log:never
                - route:
                    id: test-ticker
                    from:
                      uri: timer:tick?period=10&delay=0
                      steps:
                        - setBody:
                            constant: ticked
                        - to: file:ticks?fileName=tick.txt
                """, CONTACT);

        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), project, fakeVendor());

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("routes: 4 ok");
        assertThat(project.resolve("ticks/tick.txt")).as("the timer route ran during check").doesNotExist();
    }

    @Test
    void checkNamesTheFileAndLineOfABrokenRoute() throws IOException {
        Path project = fakeVendorProject(ROUTES.replaceFirst("steps:", "stepz:"), CONTACT);

        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), project, fakeVendor());

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.output()).contains("check failed:", "Unsupported field: stepz", "routes/test/use-cases.yaml, line 6");
    }

    @Test
    void checkNamesAnUnknownAction() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"),
                fakeVendorProject(ROUTES.replace("deliver:test:single", "deliver:test:singel"), CONTACT), fakeVendor());

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.output()).contains("the fake vendor has no action 'singel'", "test-tracks");
    }

    @Test
    void checkNamesTheFileRouteAndParameterOfAnUnknownParameter() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"),
                fakeVendorProject(ROUTES.replace("bulk?list=newsletter", "bulk?list=newsletter&colour=red"), CONTACT), fakeVendor());

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.output()).contains("check failed:", "routes/test/use-cases.yaml, route test-contacts: deliver:test:bulk: "
                + "bulk has no parameter 'colour'; it takes list (and mapping)").doesNotContain("check passed");
    }

    @Test
    void checkNamesBothFilesOfTwoRoutesOfADestinationThatTakeTheSameOrder() throws IOException {
        Path project = fakeVendorProject(ROUTES.replace("uri: events:test", "uri: events:test?order=1"), CONTACT);
        Files.writeString(project.resolve("routes/test/more-contacts.yaml"),
                DeliveryHarness.route("more-contacts", "identify", "deliver:%1$s:bulk?list=vip").formatted("test")
                        .replace("uri: events:test", "uri: events:test?order=2"));

        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), project, fakeVendor());

        assertThat(check.exitCode()).as(check.output()).isEqualTo(1);
        assertThat(check.output()).contains("check failed:", "both take order 1 at destination test", "test-contacts",
                "test-tracks", "routes/test/use-cases.yaml").doesNotContain("more-contacts.yaml");
    }

    @Test
    void checkNamesTheFileEntryAndProblemOfABrokenMapping() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"),
                fakeVendorProject(ROUTES, CONTACT.replace("[trim, lowercase]", "[trim, lowercaze]")), fakeVendor());

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.output()).contains("mappings/contact.yaml: fields[0] (to: 3): unknown transform 'lowercaze'");
    }

    @Test
    void checkNamesABadSetting() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT,
                Map.of("BRIDGE_DEDUPE_WINDOW", "soon"));

        assertThat(check.exitCode()).isEqualTo(1);
        assertThat(check.output()).contains("Setting bridge.dedupe.window must be a positive duration such as 24h or 90m, got 'soon'");
    }

    /** What check and the start say about the shipped Iterable opt-out route when its message types are not set. */
    static final String OPT_OUT_WITHOUT_MESSAGE_TYPES = "{{bridge.iterable.unsubscribe-message-types}} has no value: set "
            + "bridge.iterable.unsubscribe-message-types (environment BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES), or delete "
            + "the route file if you do not use this use case";

    /** "routes/iterable/opt-out.yaml, lines 21 and 25": where the shipped route reads its message types. */
    static String whereTheOptOutReadsItsMessageTypes() throws IOException {
        List<String> lines = Files.readAllLines(PROJECT.resolve("routes/iterable/opt-out.yaml"));
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().startsWith("#") && lines.get(i).contains("{{bridge.iterable.unsubscribe-message-types}}")) {
                numbers.add(i + 1);
            }
        }
        assertThat(numbers).as("the subscribe and unsubscribe steps").hasSize(2);
        return "routes/iterable/opt-out.yaml, lines " + numbers.get(0) + " and " + numbers.get(1);
    }

    @Test
    void checkRefusesTheIterableOptOutWithoutMessageTypesOnceIterableHasCredentials() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT,
                Map.of("ITERABLE_API_KEY", "live-key-123"));

        assertThat(check.exitCode()).as(check.output()).isEqualTo(1);
        assertThat(check.output()).contains("check failed:\n  " + whereTheOptOutReadsItsMessageTypes() + ": " + OPT_OUT_WITHOUT_MESSAGE_TYPES + "\n")
                .doesNotContain("check passed").doesNotContain("live-key-123");
    }

    @Test
    void checkOnlyWarnsAboutTheIterableOptOutWithoutMessageTypesWhileIterableRunsInDryRun() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT, Map.of());

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("warning: " + whereTheOptOutReadsItsMessageTypes() + ": " + OPT_OUT_WITHOUT_MESSAGE_TYPES
                + " (only a warning while destination iterable runs in dry-run; once it sends, the bridge refuses to start)\n"
                + "check passed");
        assertThat(check.output().lines().filter(line -> line.startsWith("warning:")))
                .as("the steps' empty messageTypes have the same cause: one warning").hasSize(1);
    }

    @Test
    void checkPassesWithIterableCredentialsOnceTheMessageTypesAreSet() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT,
                Map.of("ITERABLE_API_KEY", "live-key-123", "BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES", "101,102"));

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("check passed").doesNotContain("warning:");
    }

    @Test
    void checkWarnsThatEmarsysEndsWsseAndNotOnceOAuth2CredentialsAreSet() throws IOException {
        Finished wsse = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT,
                Map.of("EMARSYS_API_USER", "customer001", "EMARSYS_API_SECRET", "customer-secret-123"));

        assertThat(wsse.exitCode()).as(wsse.output()).isZero();
        assertThat(wsse.output()).contains("warning: Emarsys uses WSSE credentials (EMARSYS_API_USER): Emarsys ends WSSE at the "
                + "end of 2026 (developer changelog, 2024-11-08); create OpenID Connect API credentials and set "
                + "EMARSYS_CLIENT_ID and EMARSYS_CLIENT_SECRET (see the README's Emarsys section)", "check passed")
                .doesNotContain("customer-secret-123");

        Finished both = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), PROJECT,
                Map.of("EMARSYS_API_USER", "customer001", "EMARSYS_API_SECRET", "customer-secret-123",
                        "EMARSYS_CLIENT_ID", "client-1", "EMARSYS_CLIENT_SECRET", "client-secret-123"));

        assertThat(both.exitCode()).as(both.output()).isZero();
        assertThat(both.output()).contains("check passed").doesNotContain("WSSE");
    }

    /** A route for the test destination whose list is the setting {@code placeholder}, on line 9 of the file. */
    private static Path projectWithListFrom(String placeholder) throws IOException {
        String route = DeliveryHarness.route("listed", "identify", "deliver:%1$s:bulk?list=" + placeholder).formatted("test");
        assertThat(route.lines().toList().get(8)).contains(placeholder);
        Path project = fakeVendorProject(route, CONTACT);
        Files.writeString(project.resolve("application.properties"), "\nmy.custom.key = {{env:MY_CUSTOM_KEY:}}\n",
                java.nio.file.StandardOpenOption.APPEND);
        return project;
    }

    @Test
    void checkRefusesAUserRouteWhoseSettingHasNoValueNamingFileLineAndKey() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), projectWithListFrom("{{my.custom.key}}"),
                fakeVendor("BRIDGE_DESTINATION_TEST_API_KEY", "secret-api-key-123"));

        assertThat(check.exitCode()).as(check.output()).isEqualTo(1);
        assertThat(check.output()).contains("routes/test/use-cases.yaml, line 9: {{my.custom.key}} has no value: set my.custom.key "
                + "(environment MY_CUSTOM_KEY), or delete the route file if you do not use this use case");
    }

    @Test
    void checkPassesAUserRouteWhoseSettingIsMarkedOptional() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), projectWithListFrom("{{my.custom.key:}}"),
                fakeVendor("BRIDGE_DESTINATION_TEST_API_KEY", "secret-api-key-123"));

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("check passed").doesNotContain("warning:");
    }

    @Test
    void checkNamesTheFileAndLineOfASettingThatDoesNotExist() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), projectWithListFrom("{{my.custom.kee}}"),
                fakeVendor());

        assertThat(check.exitCode()).as(check.output()).isEqualTo(1);
        assertThat(check.output()).contains("routes/test/use-cases.yaml, line 9: {{my.custom.kee}} names no setting: add my.custom.kee "
                + "to application.properties, or delete the route file if you do not use this use case");
    }

    /** A project whose Iterable route unsubscribes from nothing: the action's required parameters are empty. */
    private static Path projectUnsubscribingFromNothing() throws IOException {
        return fakeVendorProject(DeliveryHarness.route("unsubscribe", "track", "deliver:%1$s:unsubscribe?messageTypes=&channels=")
                .formatted("iterable"), CONTACT);
    }

    @Test
    void checkRefusesAnActionWhoseRequiredParameterIsEmptyNamingIt() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), projectUnsubscribingFromNothing(),
                Map.of("BRIDGE_DESTINATIONS", "iterable", "ITERABLE_API_KEY", "live-key-123"));

        assertThat(check.exitCode()).as(check.output()).isEqualTo(1);
        assertThat(check.output()).contains("iterable-unsubscribe", "deliver:iterable:unsubscribe: unsubscribe needs "
                + "messageTypes=<ids> or channels=<ids> (comma-separated Iterable ids), and both are empty");
    }

    @Test
    void checkOnlyWarnsAboutAnEmptyRequiredParameterWhileTheDestinationRunsInDryRun() throws IOException {
        Finished check = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("check"), projectUnsubscribingFromNothing(),
                Map.of("BRIDGE_DESTINATIONS", "iterable"));

        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("warning: routes/test/use-cases.yaml, route iterable-unsubscribe: deliver:iterable:unsubscribe: "
                + "unsubscribe needs messageTypes=<ids> or channels=<ids> (comma-separated Iterable ids), and both are empty (only a "
                + "warning while destination iterable runs in dry-run; once it sends, the bridge refuses to start)", "check passed");
    }

    @Test
    void actionsListsEveryActionOfEveryVendorWithItsParameters() throws IOException {
        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("actions"), PROJECT, Map.of());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(
                "Every action also takes mapping=<name>",
                "== Emarsys: deliver:emarsys:<action> ==\ncontact-upsert: creates or updates contacts",
                "trigger: triggers an external event",
                "    up to 1,000 items a request, at most 1 MB\n"
                        + "    event     text, required: the Emarsys external event, by name or id\n"
                        + "    keyField  text, default 3: the contact field that identifies contacts, by id or name\n"
                        + "    sections  list of names, optional: ",
                "== Sailthru: deliver:sailthru:<action> ==",
                "    value  one of none|basic|blast|all, required: what optout_email is set to",
                "    allowPii  boolean, default false: ",
                "== Iterable: deliver:iterable:<action> ==",
                "user-bulk-update: ", "    up to 1,000 items a request, at most 4 MB, paced at 5 requests a second\n",
                "    messageTypes  list of ids, optional: ",
                "== Segment: deliver:segment:<action> ==\nbatch: ");
        assertThat(run.output().lines().filter(line -> !line.startsWith(" ") && !line.startsWith("==") && line.contains(": ") && !line.startsWith("Every")))
                .as("one line per action").hasSize(27);
    }

    @Test
    void actionsRegeneratesTheReadmesReferenceBetweenItsMarkers() throws IOException {
        Path project = fakeVendorProject(ROUTES, CONTACT);
        Files.writeString(project.resolve("README.md"), "# mine\n\n<!-- actions:begin -->\nOUTDATED\n<!-- actions:end -->\n\nthe rest\n");

        Finished first = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("actions", "--readme"), project, fakeVendor());
        Finished second = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("actions", "--readme"), project, fakeVendor());

        assertThat(first.exitCode()).as(first.output()).isZero();
        assertThat(first.output()).contains("README.md: the action reference is regenerated");
        assertThat(Files.readString(project.resolve("README.md"))).startsWith("# mine\n\n<!-- actions:begin -->\n<!-- Generated")
                .contains("### the fake vendor: `deliver:test:<action>`\n\n- **`single`**: sends one event: POST /events. "
                        + "One item a request, at most 64 KB.\n  - no parameters\n- **`bulk`**: ",
                        "  - `list` (text, default `default`): the list the members join\n<!-- actions:end -->\n\nthe rest\n")
                .doesNotContain("OUTDATED");
        assertThat(second.output()).contains("README.md: the action reference is up to date");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "identify.json                  | PUT https://api.emarsys.net/api/v2/contact/?create_if_not_exists=1 | \"3\" : \"ann.lee@example.com\"",
            "track.json                     | POST https://api.emarsys.net/api/v2/event/name:premium_product_viewed/trigger | \"trigger_id\" : \"sample-track-1\"",
            "order-completed.json           | POST https://api.emarsys.net/api/v2/event/name:order_completed/trigger | \"last_order_value\" : 251.5",
            "audience-entered-identify.json | POST https://api.emarsys.net/api/v2/contactlist/name:first_time_shopper/add | \"external_ids\" : [ \"ann.lee@example.com\" ]",
            "audience-track.json            | POST https://api.emarsys.net/api/v2/contactlist/name:first_time_shopper/delete | POST https://api.emarsys.net/api/v2/contactlist/name:first_time_shopper/add",
            "opt-out.json                   | PUT https://api.emarsys.net/api/v2/contact/?create_if_not_exists=1 | \"31\" : \"2\"",
            "delete.json                    | emarsys: would be dead-lettered: route emarsys-contact-delete | neither the event nor the identity store has one",
            "journey.json                   | released event 1: emarsys: contact-upsert | \"3\" : \"sam.ortiz@example.com\""})
    void tryShowsTheEmarsysRequestsOfEachShippedSample(String sample, String expected, String alsoExpected) throws IOException {
        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("try", "samples/" + sample), PROJECT, Map.of());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("from samples/" + sample + " (nothing is sent)", expected, alsoExpected)
                .doesNotContain("\u0000");
    }

    @Test
    void tryPrintsTheExactRequestsWithIdentityResolvedAndMappingApplied() throws IOException {
        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("try", PROJECT.resolve("samples/journey.json").toString()),
                fakeVendorProject(ROUTES, CONTACT), fakeVendor());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(
                "event 1: page, anonymousId anon-d41e27, messageId sample-journey-1\n  test: no route sends this event\n",
                "event 2: track 'Product Added', anonymousId anon-d41e27, messageId sample-journey-2\n"
                        + "  test: waits for the person's primary key (route test-tracks: no primary key is known yet for userId (none)"
                        + " / anonymousId anon-d41e27)\n",
                "event 3: identify, userId user-2077, anonymousId anon-d41e27, messageId sample-journey-3\n"
                        + "  test: bulk\n  released event 2: test: single\n",
                "event 4: track 'Order Completed', userId user-2077, messageId sample-journey-4\n  test: single\n",
                "== test: 3 request(s) (no credentials: this destination runs in dry-run) ==",
                """
                POST https://vendor.example/v1/lists/newsletter/members
                Content-Type: application/json

                {
                  "members" : [ {
                    "id" : "sample-journey-3",
                    "user" : "user-2077",
                    "fields" : {
                      "3" : "sam.ortiz@example.com",
                      "first_name" : "Sam"
                    }
                  } ]
                }
                """,
                """
                POST https://vendor.example/v1/events
                """,
                "Idempotency-Key: sample-journey-2",
                """
                {
                  "id" : "sample-journey-2",
                  "user" : "anon-d41e27",
                  "email" : "sam.ortiz@example.com",
                  "event" : "Product Added"
                }
                """);
        assertThat(run.output().indexOf("\"id\" : \"sample-journey-3\"")).as("the identify's request comes first")
                .isLessThan(run.output().indexOf("\"id\" : \"sample-journey-2\""));
    }

    @Test
    void tryShowsIterableRequestsOnTheEuHostWhenConfigured() throws IOException {
        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("try", "samples/identify.json"), PROJECT,
                Map.of("ITERABLE_API_URL", "https://api.eu.iterable.com", "ITERABLE_API_KEY", "eu-key-123",
                        "BRIDGE_ITERABLE_UNSUBSCRIBE_MESSAGE_TYPES", "101"));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("POST https://api.eu.iterable.com/api/users/update", "Api-Key: ***").doesNotContain("eu-key-123");
    }

    @Test
    void tryMasksCredentialsInTheRequestsItPrints() throws IOException {
        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("try", PROJECT.resolve("samples/track.json").toString()),
                fakeVendorProject(ROUTES, CONTACT), fakeVendor("BRIDGE_DESTINATION_TEST_API_KEY", "secret-api-key-123"));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("== test: 1 request(s) ==", "X-Api-Key: ***").doesNotContain("secret-api-key-123");
    }

    @Test
    void tryRemovesItsThrowawayStateWhenItEnds() throws IOException {
        Path temporary = TestFolders.create("try-temporary-");
        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath(temporary, "try", "samples/identify.json"), PROJECT,
                Map.of());

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(TestFolders.contents(temporary)).as("left in the temporary folder by try").isEmpty();
    }

    @Test
    void tryRefusesAFileThatIsNotSegmentEvents() throws IOException {
        Path file = TestFolders.create("events-").resolve("events.json");
        Files.writeString(file, "[{\"type\":\"track\",\"userId\":\"u\"}]");

        Finished run = BridgeProcess.runToEnd(BridgeProcess.javaOnTestClassPath("try", file.toString()), PROJECT, Map.of());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.output()).contains("is not valid Segment events: [0].event is required for track events");
    }
}
