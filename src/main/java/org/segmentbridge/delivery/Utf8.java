package org.segmentbridge.delivery;

/** The length of a text in UTF-8, counted without encoding it. */
final class Utf8 {

    private Utf8() {
    }

    /**
     * The length of {@code text.getBytes(UTF_8)}: a malformed surrogate counts as the one '?' the encoder puts there.
     */
    static int length(CharSequence text) {
        long bytes = 0;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 1;
            } else {
                bytes += 3;
            }
        }
        return Math.toIntExact(bytes);
    }
}
