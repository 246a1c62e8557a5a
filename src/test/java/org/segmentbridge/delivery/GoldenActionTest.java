package org.segmentbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden request tests of one vendor's actions, without booting the bridge: for each action folder under
 * {@code src/test/resources/golden/<destination>/} (laid out as {@link GoldenCase} says), the events go through the
 * action's {@code prepare}, the items are batched per group, and each batch's request, signed with fixed test
 * credentials and masked as dry-run records show it, must equal {@code request.golden.http}; then each recorded
 * answer is read for the first batch's items and must give the verdicts the answer file lists.
 *
 * <p>Requests are built with settings that hold no credentials, so an action that would look a name up (an Emarsys
 * list, an Iterable list, a Sailthru email) shows what it would resolve instead of calling the vendor: these tests
 * never make an HTTP call. A new action needs only its folder; {@link GoldenCoverageTest} fails until it has one.
 */
public abstract class GoldenActionTest {

    private final String destination;
    private final Supplier<Connector> connectors;
    private final Map<Path, Built> built = new HashMap<>();

    /** @param connectors makes a new connector of the vendor (one builds, another signs: each keeps its own credentials) */
    protected GoldenActionTest(String destination, Supplier<Connector> connectors) {
        this.destination = destination;
        this.connectors = connectors;
    }

    /** A request's parts that differ from run to run, made fixed before it is compared (Segment's sentAt). */
    protected OutboundRequest steady(OutboundRequest request) {
        return request;
    }

    /** More checks of each request, e.g. against the vendor's API description. */
    protected void check(String action, OutboundRequest request) {
    }

    private record Batch(List<Action.Item> items, OutboundRequest request) {
    }

    private record Built(GoldenCase golden, Action action, List<Batch> batches) {
    }

    @TestFactory
    public Stream<DynamicNode> goldenRequestsAndVerdicts() {
        return GoldenCase.actionFolders(destination).map(folder -> DynamicContainer.dynamicContainer(
                folder.getFileName().toString(), Stream.concat(
                        Stream.of(DynamicTest.dynamicTest("request", () -> assertRequest(folder))),
                        GoldenCase.answerNames(folder).stream().map(answer ->
                                DynamicTest.dynamicTest("answer " + answer, () -> assertVerdicts(folder, answer))))));
    }

    private void assertRequest(Path folder) {
        Built run = build(folder);
        String text = run.batches().stream()
                .map(batch -> "# items: " + batch.items().stream().map(Action.Item::idempotencyKey).collect(Collectors.joining(", "))
                        + "\n" + GoldenFile.http(batch.request()))
                .collect(Collectors.joining("\n###\n\n"));
        GoldenFile.assertMatches(folder.resolve(GoldenCase.REQUEST_FILE), text);
        List<String> answers = GoldenCase.answerNames(folder);
        assertThat(answers).as("%s/answers records every kind of answer (a notApplicable one says why there is none)", folder)
                .containsAll(GoldenCase.REQUIRED_ANSWERS);
    }

    private void assertVerdicts(Path folder, String name) {
        Built run = build(folder);
        GoldenCase.Answer answer = run.golden().answer(name);
        if (answer.notApplicable() != null) {
            assertThat(answer.notApplicable()).as("why %s has no %s answer", folder, name).isNotBlank();
            return;
        }
        List<Action.Item> items = run.batches().get(0).items();
        List<String> verdicts = run.action().read(answer.answer(), items).stream().map(GoldenCase::describe).toList();
        assertThat(verdicts).as("one verdict per item of the first request").hasSameSizeAs(items);
        assertThat(answer.verdicts()).as("%s/answers/%s.json lists one verdict per item of the first request", folder, name)
                .hasSameSizeAs(items);
        for (int index = 0; index < items.size(); index++) {
            assertThat(verdicts.get(index)).as("%s/answers/%s.json: the verdict on item %s (%s)", folder, name, index + 1,
                    items.get(index).idempotencyKey()).startsWith(answer.verdicts().get(index));
        }
    }

    /** The case's events through prepare, batched per group in the order groups first appear, each batch's request. */
    private Built build(Path folder) {
        return built.computeIfAbsent(folder, ignored -> {
            GoldenCase golden = GoldenCase.load(folder);
            Connector builder = connectors.get();
            Action action = builder.action(golden.actionName());
            ActionParameters.check(action, golden.parameters());
            DestinationSettings settings = golden.destinationSettings();
            assertThat(builder.hasCredentials(settings)).as("requests are built without credentials, so no lookup calls the vendor; "
                    + "credentials go in golden/%s/credentials.properties", destination).isFalse();
            Map<String, List<Action.Item>> groups = new LinkedHashMap<>();
            for (GoldenCase.EventInput input : golden.inputs()) {
                action.prepare(new Action.Input(input.event(), input.fields(), golden.parameters(), input.primaryKey(), settings))
                        .forEach(item -> groups.computeIfAbsent(item.group(), group -> new ArrayList<>()).add(item));
            }
            assertThat(groups).as("%s: the events give the action something to send", folder).isNotEmpty();
            Connector signer = connectors.get();
            DestinationSettings signing = golden.signingSettings();
            List<Batch> batches = new ArrayList<>();
            groups.forEach((group, items) -> {
                OutboundRequest signed = signer.authorize(action.request(group, items, settings), signing);
                check(action.name(), signed);
                batches.add(new Batch(items, steady(signer.masked(signed))));
            });
            return new Built(golden, action, batches);
        });
    }
}
