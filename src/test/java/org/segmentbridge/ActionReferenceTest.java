package org.segmentbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.segmentbridge.delivery.Action;
import org.segmentbridge.delivery.ActionCatalogue;
import org.segmentbridge.delivery.ActionParameter;
import org.segmentbridge.delivery.Connector;

/** The shipped actions' declarations, and the README's action reference generated from them. */
class ActionReferenceTest {

    private static final Path README = Path.of("README.md");
    /** Where a stale reference's replacement is written, for a developer to diff or copy. */
    private static final Path REGENERATED = Path.of("target/README.regenerated.md");

    @Test
    void theReadmesActionReferenceIsTheOneTheDeclarationsGenerate() throws IOException {
        String readme = Files.readString(README);
        String generated = ActionReference.block(new ActionCatalogue(Tools.configuredConnectors()).markdown());

        if (!ActionReference.current(readme).equals(generated)) {
            Files.createDirectories(REGENERATED.getParent());
            Files.writeString(REGENERATED, ActionReference.replaced(readme, generated));
            System.out.println("README.md's action reference is stale; between " + ActionReference.BEGIN + " and "
                    + ActionReference.END + " it should read:\n" + generated);
        }
        assertThat(ActionReference.current(readme))
                .as("README.md's action reference is stale: run `java -jar target/segment-bridge.jar actions --readme` after "
                        + "`mvn -B package -DskipTests`, or copy " + REGENERATED + " over README.md (the text is printed above)")
                .isEqualTo(generated);
    }

    @Test
    void everyShippedActionIsItsOwnClassWithADescription() {
        Map<String, Connector> connectors = Tools.configuredConnectors();
        assertThat(connectors).containsOnlyKeys("emarsys", "sailthru", "iterable", "segment");
        List<String> names = new ArrayList<>();
        for (Connector connector : connectors.values()) {
            Map<Class<?>, String> nameOfClass = new LinkedHashMap<>();
            for (Action action : connector.actions().all()) {
                names.add(connector.actions().vendor() + " " + action.name());
                assertThat(nameOfClass.put(action.getClass(), action.name()))
                        .as(action.getClass().getName() + " serves " + nameOfClass.get(action.getClass()) + " and " + action.name())
                        .isNull();
                assertThat(action.description()).as(action.name()).isNotBlank().doesNotContain("\n").doesNotEndWith(".");
                assertThat(action.parameters()).as(action.name()).extracting(ActionParameter::name).doesNotHaveDuplicates();
            }
        }
        assertThat(names).hasSize(27);
    }

    @Test
    void theReferenceIsReplacedBetweenTheMarkersOnly() {
        String readme = "# title\n\n" + ActionReference.BEGIN + "\nold\n" + ActionReference.END + "\n\nafter\n";

        String replaced = ActionReference.replaced(readme, "\nnew\n");

        assertThat(replaced).isEqualTo("# title\n\n" + ActionReference.BEGIN + "\nnew\n" + ActionReference.END + "\n\nafter\n");
        assertThat(ActionReference.current(replaced)).isEqualTo("\nnew\n");
        assertThatThrownBy(() -> ActionReference.current("# no markers")).hasMessageContaining("needs the markers");
        assertThatThrownBy(() -> ActionReference.current(ActionReference.END + ActionReference.BEGIN)).hasMessageContaining("in that order");
    }
}
