package org.segmentbridge.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

/** Decoding compressed bodies: exact bytes back, and a bomb stopped at the limit. */
class BodyEncodingTest {

    private static final long LIMIT = 512_000;

    @Test
    void aBombStopsAtTheLimitHavingAllocatedLittleMoreThanTheLimit() throws IOException {
        byte[] bomb = gzipOfZeros(100);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();

        assertThatThrownBy(() -> BodyEncoding.decode("gzip", bomb, LIMIT, "bridge.intake.max-batch-bytes"))
                .isInstanceOfSatisfying(IntakeRejected.class, rejected -> {
                    assertThat(rejected.status()).isEqualTo(413);
                    assertThat(rejected.getMessage()).contains("decodes to more than 512000 bytes");
                });

        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // Inflating all of it would allocate well over 100 MB (the growing buffer copies it several times).
        assertThat(allocated).as("bytes allocated while decoding").isLessThan(8L * 1024 * 1024);
    }

    @Test
    void gzipZlibAndRawDeflateDecodeToTheSameBytes() throws IOException {
        byte[] body = "{\"batch\":[{\"type\":\"track\",\"event\":\"Zipped\",\"properties\":{\"n\":\"é\"}}]}".getBytes(StandardCharsets.UTF_8);

        assertThat(BodyEncoding.decode("gzip", compress(body, "gzip"), LIMIT, "s")).isEqualTo(body);
        assertThat(BodyEncoding.decode("X-GZIP", compress(body, "gzip"), LIMIT, "s")).isEqualTo(body);
        assertThat(BodyEncoding.decode("deflate", compress(body, "zlib"), LIMIT, "s")).isEqualTo(body);
        assertThat(BodyEncoding.decode("deflate", compress(body, "raw"), LIMIT, "s")).isEqualTo(body);
        assertThat(BodyEncoding.decode(null, body, LIMIT, "s")).isSameAs(body);
        assertThat(BodyEncoding.decode("identity", body, LIMIT, "s")).isSameAs(body);
    }

    @Test
    void otherEncodingsAreRefusedByName() {
        for (String encoding : new String[] {"br", "zstd", "gzip, br", "compress"}) {
            assertThatThrownBy(() -> BodyEncoding.decode(encoding, new byte[] {1}, LIMIT, "s"))
                    .isInstanceOfSatisfying(IntakeRejected.class, rejected -> {
                        assertThat(rejected.status()).isEqualTo(415);
                        assertThat(rejected.getMessage()).contains("Content-Encoding " + encoding);
                    });
        }
    }

    private static byte[] gzipOfZeros(int megabytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[1024 * 1024];
        Arrays.fill(zeros, (byte) '0');
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            for (int i = 0; i < megabytes; i++) {
                gzip.write(zeros);
            }
        }
        return out.toByteArray();
    }

    private static byte[] compress(byte[] body, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (java.io.OutputStream compressing = switch (format) {
            case "gzip" -> new GZIPOutputStream(out);
            case "zlib" -> new DeflaterOutputStream(out, new Deflater());
            default -> new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, true));
        }) {
            compressing.write(body);
        }
        return out.toByteArray();
    }
}
