package org.segmentbridge.processor;

import java.time.Instant;

import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The processor's upkeep: messageIds older than the dedupe window are forgotten every ten minutes. */
public final class ProcessorRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorRoutes.class);

    private final Processor processor;

    public ProcessorRoutes(Processor processor) {
        this.processor = processor;
    }

    @Override
    public void configure() {
        from("timer:purge-message-ledger?period=10m&delay=1m")
                .routeId("processor-purge-message-ledger")
                .process(exchange -> {
                    int purged = processor.purgeExpiredMessageIds(Instant.now());
                    if (purged > 0) {
                        LOG.debug("Forgot {} messageIds older than the dedupe window", purged);
                    }
                });
    }
}
