package org.segmentbridge;

/**
 * The README's action reference: the text between {@value #BEGIN} and {@value #END}, generated from the actions'
 * declarations ({@link org.segmentbridge.delivery.ActionCatalogue#markdown()}). {@code actions --readme} writes it;
 * a test fails when it is stale.
 */
final class ActionReference {

    static final String BEGIN = "<!-- actions:begin -->";
    static final String END = "<!-- actions:end -->";
    static final String NOTE = "<!-- Generated from the actions' declarations: do not edit by hand; regenerate with "
            + "`java -jar target/segment-bridge.jar actions --readme` (ActionReferenceTest fails when it is stale). -->";

    private ActionReference() {
    }

    /** What belongs between the markers for this catalogue text. */
    static String block(String markdown) {
        return "\n" + NOTE + "\n\n" + markdown;
    }

    /** The text between the markers. @throws IllegalArgumentException when the markers are not there once each, in order */
    static String current(String readme) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin || readme.indexOf(BEGIN, begin + 1) >= 0 || readme.indexOf(END, end + 1) >= 0) {
            throw new IllegalArgumentException("the README needs the markers " + BEGIN + " and " + END
                    + ", once each and in that order, around its action reference");
        }
        return readme.substring(begin + BEGIN.length(), end);
    }

    /** The README with the text between the markers replaced by {@code block}. */
    static String replaced(String readme, String block) {
        String old = current(readme);
        int at = readme.indexOf(BEGIN) + BEGIN.length();
        return readme.substring(0, at) + block + readme.substring(at + old.length());
    }
}
