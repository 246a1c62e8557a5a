package org.segmentbridge.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import org.segmentbridge.SettingsReader;

/**
 * One destination's settings. Each key is read as {@code bridge.destination.<name>.<key>} and, when that is absent,
 * as the shared default {@code bridge.delivery.<key>}; vendor-specific keys (credentials ...) only per destination.
 */
public final class DestinationSettings {

    /** Whether requests are sent, recorded only, or decided by the presence of credentials. */
    public enum DryRun { AUTO, TRUE, FALSE }

    private final String name;
    private final java.util.Map<String, Optional<String>> values = new java.util.concurrent.ConcurrentHashMap<>();
    private final SettingsReader reader;

    private final boolean enabled;
    private final DryRun dryRun;
    private final Rate rate;
    private final int maxBatchItems;
    private final long maxBatchBytes;
    private final Duration batchFlush;
    private final Duration batchLinger;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int maxAttempts;
    private final Duration maxAge;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final double backoffMultiplier;
    private final int maxInFlight;
    private final int maxConcurrentRequests;
    private volatile URI baseUrl;

    public DestinationSettings(String name, SettingsReader reader) {
        this.name = name;
        this.reader = reader;
        this.enabled = reader.bool(key("enabled"));
        this.dryRun = dryRun(key("dry-run"));
        this.rate = new Rate(reader.positiveLong(key("rate.requests")), reader.duration(key("rate.period")));
        this.maxBatchItems = reader.positiveInt(key("batch.max-items"));
        this.maxBatchBytes = reader.positiveLong(key("batch.max-bytes"));
        this.batchFlush = reader.duration(key("batch.flush"));
        this.batchLinger = reader.duration(key("batch.linger"));
        this.connectTimeout = reader.duration(key("timeout.connect"));
        this.requestTimeout = reader.duration(key("timeout.request"));
        this.maxAttempts = reader.positiveInt(key("retry.max-attempts"));
        this.maxAge = reader.duration(key("retry.max-age"));
        this.initialDelay = reader.duration(key("retry.initial-delay"));
        this.maxDelay = reader.duration(key("retry.max-delay"));
        this.backoffMultiplier = reader.positiveDecimal(key("retry.multiplier"));
        this.maxInFlight = reader.positiveInt(key("max-in-flight"));
        this.maxConcurrentRequests = reader.positiveInt(key("max-concurrent-requests"));
    }

    /**
     * The pace of one action's endpoint: the vendor's documented limit the action carries, unless this destination
     * sets {@code endpoint-rate.<action>.requests} and/or {@code .period} (an account with a raised limit).
     */
    public Rate endpointRate(String action, Rate documented) {
        String prefix = "bridge.destination." + name + ".endpoint-rate." + action + ".";
        long requests = reader.has(prefix + "requests") ? reader.positiveLong(prefix + "requests") : documented.requests();
        Duration period = reader.has(prefix + "period") ? reader.duration(prefix + "period") : documented.period();
        return new Rate(requests, period);
    }

    /** The full key this destination reads for {@code suffix}: its own when set, else the shared default. */
    private String key(String suffix) {
        String own = "bridge.destination." + name + "." + suffix;
        return reader.has(own) ? own : "bridge.delivery." + suffix;
    }

    private DryRun dryRun(String key) {
        String value = reader.required(key);
        try {
            return DryRun.valueOf(value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Setting " + key + " must be auto, true or false, got '" + value + "'");
        }
    }

    public String name() {
        return name;
    }

    /**
     * A vendor-specific value of this destination, e.g. {@code api-key}; empty when unset. Read once: the settings do
     * not change while the bridge runs, and actions ask for them for every event (resolving a property through
     * Camel's parser was 4 % of a destination reader's time).
     */
    public Optional<String> value(String suffix) {
        return values.computeIfAbsent(suffix, key -> reader.optional("bridge.destination." + name + "." + key));
    }

    public String requiredValue(String suffix) {
        String key = "bridge.destination." + name + "." + suffix;
        return value(suffix).orElseThrow(() -> new IllegalArgumentException(
                "Setting " + key + " is missing or empty: set it in application.properties or its environment variable"));
    }

    /** The vendor's base URL, read once: every request a destination builds starts from it. */
    public URI baseUrl() {
        URI known = baseUrl;
        if (known == null) {
            known = parsedBaseUrl();
            baseUrl = known;
        }
        return known;
    }

    private URI parsedBaseUrl() {
        String key = "bridge.destination." + name + ".base-url";
        String value = requiredValue("base-url");
        try {
            URI uri = URI.create(value.endsWith("/") ? value.substring(0, value.length() - 1) : value);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("no scheme or host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Setting " + key + " must be an absolute http(s) URL, got '" + value + "'");
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public DryRun dryRun() {
        return dryRun;
    }

    /** Whether requests are only built and recorded: dry-run set, or auto and the connector finds no credentials. */
    public boolean recordsOnly(Connector connector) {
        return switch (dryRun) {
            case TRUE -> true;
            case FALSE -> false;
            case AUTO -> !connector.hasCredentials(this);
        };
    }

    public Rate rate() {
        return rate;
    }

    public int maxBatchItems() {
        return maxBatchItems;
    }

    public long maxBatchBytes() {
        return maxBatchBytes;
    }

    public Duration batchFlush() {
        return batchFlush;
    }

    /**
     * How long a batch waits for more items, at least, before it goes while nothing of its endpoint is under way and
     * the rate allows a request at once; {@link #batchFlush} or more: only full or flushed batches go.
     */
    public Duration batchLinger() {
        return batchLinger;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration maxAge() {
        return maxAge;
    }

    public Duration initialDelay() {
        return initialDelay;
    }

    public Duration maxDelay() {
        return maxDelay;
    }

    public double backoffMultiplier() {
        return backoffMultiplier;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    public int maxConcurrentRequests() {
        return maxConcurrentRequests;
    }
}
