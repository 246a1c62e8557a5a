package org.segmentbridge.intake;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.segmentbridge.BridgeSettings;
import org.segmentbridge.intake.IntakeRejected.Reason;

/**
 * Segment's Webhooks destinations (classic and Actions) posting to {@code /webhooks/segment}: one event or an array
 * of events, signed with {@code X-Signature}; also Segment's {@code delete} notifications.
 */
final class SegmentWebhook {

    static final String ENDPOINT = "segment-webhook";

    private final WebhookSignature signature;
    private final Intake intake;
    private final int maxEventBytes;
    private final int maxBodyBytes;

    SegmentWebhook(BridgeSettings settings, Intake intake) {
        this.signature = new WebhookSignature(settings.segmentWebhookSecret());
        this.intake = intake;
        this.maxEventBytes = settings.maxEventBytes();
        this.maxBodyBytes = settings.maxWebhookBytes();
    }

    boolean enabled() {
        return signature.enabled();
    }

    CompletableFuture<Intake.Outcome> receive(String signatureHeader, byte[] body) {
        signature.requireEnabled();
        if (body.length > maxBodyBytes) {
            throw new IntakeRejected(Reason.TOO_LARGE, "the webhook body is " + body.length
                    + " bytes; the limit is " + maxBodyBytes + " bytes (setting bridge.webhook.max-body-bytes)");
        }
        boolean array = startsWithArray(body);
        signature.verify(signatureHeader, array ? EventBodies.firstArrayElement(body) : body);

        Instant now = Instant.now();
        List<ObjectNode> events = SegmentEvents.from(EventBodies.parse(body), now, maxEventBytes, intake::requireStorable);
        return intake.store(events, ENDPOINT, now);
    }

    private static boolean startsWithArray(byte[] body) {
        for (byte b : body) {
            if (!Character.isWhitespace(b)) {
                return b == '[';
            }
        }
        return false;
    }
}
