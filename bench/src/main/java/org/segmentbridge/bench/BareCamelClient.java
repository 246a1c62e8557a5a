package org.segmentbridge.bench;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.component.http.HttpMethods;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The ceiling of a Camel HTTP client: a Camel context that only sends requests, through camel-http from the bridge's
 * jar with the endpoint options and the thread pool the bridge's vendor transport uses, to the fake Iterable's
 * {@code POST /api/events/track} (a body of the size the bridge sends), keeping a fixed number in flight. Nothing is
 * read from a queue, routed, mapped or recorded: the difference to the bridge's single-event destinations is what
 * the rest of delivery costs. The component settings and endpoint options repeat {@code VendorTransport}'s
 * ({@code doStart} and {@code endpointFor}): the harness is compiled without the bridge's classes, which it only runs.
 * It prints, as {@value #STEADY}, the CPU its process spent while it sent the requests from a fifth of them to 95 %
 * (the drain's steady stretch), by which its code is compiled: what camel-http alone costs a request.
 * Usage: {@code BareCamelClient <port> <requests> <in flight>}.
 */
public final class BareCamelClient {

    /** The API key the fake files these requests under, apart from the bridge's. */
    static final String API_KEY = "bare-camel-client";

    /** The line's start, followed by the requests of the steady stretch and the process' CPU seconds over them. */
    static final String STEADY = "steady stretch:";

    private BareCamelClient() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int requests = Integer.parseInt(args[1]);
        int mostInFlight = Integer.parseInt(args[2]);
        Semaphore inFlight = new Semaphore(mostInFlight);
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            HttpComponent http = camel.getComponent("http", HttpComponent.class);
            http.setAutomaticRetriesDisabled(true);
            http.setCookieManagementDisabled(true);
            ProducerTemplate producer = camel.createProducerTemplate();
            producer.setExecutorService(camel.getExecutorServiceManager().newCachedThreadPool(producer, "BareCamelClient"));
            Endpoint endpoint = camel.getEndpoint("http://127.0.0.1:" + port + "?connectTimeout=10000&connectionRequestTimeout=30000"
                    + "&responseTimeout=30000&throwExceptionOnFailure=false&copyHeaders=false&getWithBody=true&deleteWithBody=true");
            String uri = "http://127.0.0.1:" + port + "/api/events/track";
            int steadyFrom = requests / 5;
            int steadyTo = requests * 19 / 20;
            double cpuAtSteadyFrom = 0;
            long started = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                if (i == steadyFrom) {
                    cpuAtSteadyFrom = CpuTime.thisJvmSeconds();
                } else if (i == steadyTo) {
                    System.out.printf(java.util.Locale.ROOT, "%s %d %.6f%n", STEADY, steadyTo - steadyFrom, CpuTime.thisJvmSeconds() - cpuAtSteadyFrom);
                }
                inFlight.acquire();
                byte[] body = body(i);
                producer.asyncSend(endpoint, exchange -> {
                    exchange.getIn().setHeader(Exchange.HTTP_METHOD, HttpMethods.POST);
                    exchange.getIn().setHeader(Exchange.HTTP_URI, uri);
                    exchange.getIn().setHeader("Api-Key", API_KEY);
                    exchange.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
                    exchange.getIn().setBody(body);
                }).whenComplete((sent, failure) -> inFlight.release());
            }
            boolean allAnswered = inFlight.tryAcquire(mostInFlight, 60, TimeUnit.SECONDS);
            System.out.printf("sent %d requests in %.2f s, %d unanswered%n", requests, (System.nanoTime() - started) / 1e9,
                    allAnswered ? 0 : mostInFlight - inFlight.availablePermits());
            if (!allAnswered) {
                System.exit(1);
            }
        }
    }

    /** An events/track body as the shipped tracks-to-iterable route makes one: about 400 bytes. */
    private static byte[] body(int n) {
        String person = "bare-" + n;
        return ("{\"email\":\"" + person + "@example.com\",\"userId\":\"" + person + "\",\"eventName\":\"Product Viewed\","
                + "\"id\":\"bare-message-" + n + "\",\"createdAt\":1764900000,\"dataFields\":{\"product_id\":\"507f1f77bcf86cd799439011\","
                + "\"sku\":\"G-32\",\"category\":\"Games\",\"name\":\"Monopoly: 3rd Edition\",\"brand\":\"Hasbro\",\"variant\":\"200 pieces\","
                + "\"price\":119,\"quantity\":1,\"currency\":\"USD\",\"url\":\"https://www.example.com/product/path\"}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
