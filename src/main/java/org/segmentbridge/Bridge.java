package org.segmentbridge;

import java.util.Map;

import org.apache.camel.main.Main;

/**
 * Entry point: {@code java -jar segment-bridge.jar} runs the bridge from the project folder, reading
 * {@code application.properties}, {@code routes/} and {@code mappings/} from the working directory.
 */
public final class Bridge {

    /**
     * The working directory's application.properties, else the copy packaged in the jar. Camel takes a key from the
     * first location that has it, so the user's file must come first.
     */
    static final String PROPERTY_LOCATIONS =
            "file:application.properties;optional=true,classpath:application.properties;optional=true";

    private Bridge() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            System.err.println("Unknown command '" + args[0] + "'. Usage: java -jar segment-bridge.jar   (runs the bridge)");
            System.exit(2);
        }
        newMain(Map.of()).run();
    }

    /**
     * A bridge ready to start. {@code overrides} take precedence over application.properties and the environment
     * (tests use them to pick ports and a data folder).
     */
    public static Main newMain(Map<String, String> overrides) {
        Main main = new Main();
        main.setPropertyPlaceholderLocations(PROPERTY_LOCATIONS);
        overrides.forEach(main::addOverrideProperty);
        main.configure().addConfiguration(BridgeConfiguration.class);
        return main;
    }
}
