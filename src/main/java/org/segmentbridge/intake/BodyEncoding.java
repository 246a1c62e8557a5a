package org.segmentbridge.intake;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Request bodies sent with {@code Content-Encoding: gzip} or {@code deflate}, as HTTP senders and proxies that
 * compress send them. The body is inflated only up to the endpoint's limit: a decompression bomb is refused with 413
 * once its decoded size passes the limit, having cost no more memory than an honest body.
 */
final class BodyEncoding {

    private static final int CHUNK = 16 * 1024;

    private BodyEncoding() {
    }

    /**
     * @param contentEncoding the request's Content-Encoding, or null
     * @param limit           the largest decoded body the endpoint takes
     * @param limitSetting    the setting that sets the limit, named when the decoded body passes it
     */
    static byte[] decode(String contentEncoding, byte[] body, long limit, String limitSetting) {
        String encoding = contentEncoding == null ? "identity" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        return switch (encoding) {
            case "", "identity" -> body;
            case "gzip", "x-gzip" -> inflate(body, limit, limitSetting, encoding, () -> new GZIPInputStream(new ByteArrayInputStream(body), CHUNK));
            case "deflate" -> inflate(body, limit, limitSetting, encoding,
                    () -> new InflaterInputStream(new ByteArrayInputStream(body), new Inflater(!isZlibWrapped(body)), CHUNK));
            default -> throw new IntakeRejected(Reason.UNSUPPORTED_MEDIA_TYPE, "Content-Encoding " + contentEncoding
                    + " is not accepted; send the body uncompressed, or compressed with gzip or deflate");
        };
    }

    @FunctionalInterface
    private interface Decoder {
        InputStream open() throws IOException;
    }

    private static byte[] inflate(byte[] body, long limit, String limitSetting, String encoding, Decoder decoder) {
        ByteArrayOutputStream decoded = new ByteArrayOutputStream(Math.min(body.length * 4, CHUNK * 4));
        byte[] chunk = new byte[CHUNK];
        try (InputStream in = decoder.open()) {
            int read;
            while ((read = in.read(chunk)) != -1) {
                if (decoded.size() + (long) read > limit) {
                    throw new IntakeRejected(Reason.TOO_LARGE, "the " + encoding + " body decodes to more than " + limit
                            + " bytes; the limit applies to the decoded body (setting " + limitSetting + ")");
                }
                decoded.write(chunk, 0, read);
            }
        } catch (IOException e) {
            throw new IntakeRejected(Reason.INVALID, "the body is not valid " + encoding + " (Content-Encoding " + encoding
                    + "): " + e.getMessage());
        }
        return decoded.toByteArray();
    }

    /**
     * HTTP's deflate is zlib-wrapped (RFC 9110), but some senders send the raw stream: a zlib header says
     * deflate with a 32 KB window and its check bits make the first two bytes a multiple of 31.
     */
    private static boolean isZlibWrapped(byte[] body) {
        return body.length >= 2 && (body[0] & 0x0F) == 8 && (((body[0] & 0xFF) << 8) | (body[1] & 0xFF)) % 31 == 0;
    }
}
