package org.segmentbridge.privacy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.segmentbridge.delivery.DeliveryObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows erasures through delivery: every platform's delete call writes its outcome to the audit log, a failure is
 * logged and counted (an alert can fire on {@code bridge_privacy_erasure_steps_total{result="failed"}}), and events
 * of erased persons still in a queue are kept from every route, so nothing re-creates them at a vendor.
 */
public final class ErasureSteps implements DeliveryObserver {

    private static final Logger LOG = LoggerFactory.getLogger(ErasureSteps.class);

    private final Erasures erasures;
    private final MeterRegistry meters;
    /** Steps whose last outcome was a retry (request, platform, action), and since when they have been retrying. */
    private final Map<String, Instant> retryingSince = new ConcurrentHashMap<>();

    /**
     * @param platforms the destinations: each one's step counters exist from the start at zero, so that an alert's
     *                  {@code increase()} sees the very first failure (a counter that appears at 1 shows no increase)
     */
    public ErasureSteps(Erasures erasures, MeterRegistry meters, List<String> platforms) {
        this.erasures = erasures;
        this.meters = meters;
        for (String platform : platforms) {
            for (PrivacyAudit.Result result : PrivacyAudit.Result.values()) {
                steps(platform, result);
            }
        }
        Gauge.builder("bridge.privacy.erasure.retrying.seconds", retryingSince, ErasureSteps::longestRetrying)
                .description("How long the erasure step retrying the longest has been failing (0 when none retries)")
                .register(meters);
    }

    @Override
    public boolean admits(JsonNode event) {
        return !erasures.aboutErased(event);
    }

    @Override
    public boolean follows(JsonNode event) {
        return Erasures.erasureMark(event).isPresent();
    }

    @Override
    public void settled(String destination, String action, JsonNode event, Settlement settlement, int status, String detail) {
        Optional<JsonNode> erasure = Erasures.erasureMark(event);
        if (erasure.isEmpty()) {
            return;
        }
        PrivacyAudit.Result result = switch (settlement) {
            case DELIVERED -> PrivacyAudit.Result.DONE;
            case SKIPPED, NOT_ROUTED -> PrivacyAudit.Result.SKIPPED;
            case RECORDED -> PrivacyAudit.Result.RECORDED;
            case RETRYING -> PrivacyAudit.Result.RETRYING;
            case DEAD_LETTERED -> PrivacyAudit.Result.FAILED;
        };
        String request = erasure.get().path("request").asText();
        String reference = redacted(status > 0 && !detail.startsWith("HTTP ") ? "HTTP " + status + ": " + detail : detail, event);
        erasures.audit().add(request, erasure.get().path("subject").asText(), destination, action.isEmpty() ? "-" : action,
                result, reference);
        steps(destination, result).increment();
        String step = request + "\u0000" + destination + "\u0000" + action;
        if (result == PrivacyAudit.Result.RETRYING) {
            retryingSince.putIfAbsent(step, Instant.now());
        } else {
            retryingSince.remove(step);
        }
        if (result == PrivacyAudit.Result.RETRYING) {
            LOG.warn("Erasure {} at {} failed for now and will be retried: {}", request, destination, reference);
        } else if (result == PrivacyAudit.Result.FAILED) {
            LOG.error("Erasure {} at {} FAILED and is dead-lettered; replay it once the cause is fixed: {}", request, destination, reference);
        }
    }

    private Counter steps(String platform, PrivacyAudit.Result result) {
        return Counter.builder("bridge.privacy.erasure.steps").description("Erasure steps at each platform, by result")
                .tag("platform", platform).tag("result", result.label()).register(meters);
    }

    private static double longestRetrying(Map<String, Instant> retryingSince) {
        Instant now = Instant.now();
        return retryingSince.values().stream().mapToDouble(since -> Duration.between(since, now).toMillis() / 1000.0)
                .max().orElse(0);
    }

    /** A vendor's message may quote the person it is about; the audit log names them only by hash. */
    private String redacted(String text, JsonNode event) {
        String redacted = text;
        for (String value : new String[] {erasures.keyOf(event), EventFields.text(event, "userId"), EventFields.text(event, "anonymousId")}) {
            if (value != null && !value.isBlank()) {
                redacted = redacted.replaceAll("(?i)" + java.util.regex.Pattern.quote(value), "[redacted]");
            }
        }
        return redacted;
    }
}
