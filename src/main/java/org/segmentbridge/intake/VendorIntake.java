package org.segmentbridge.intake;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the intake offers a vendor's inbound endpoints (postbacks, system webhooks): it serves each with the same
 * admission control, content-type check and answers as its own endpoints ({@code 200 {"success":true}} once stored,
 * a 4xx naming the problem from an {@link IntakeRejected}, 503 with {@code Retry-After} when overloaded or the store
 * fails), and stores what the vendor reports through {@link VendorReports}.
 */
public interface VendorIntake {

    /** How an endpoint's body is posted: JSON declared as {@code application/json}, or a form. */
    enum Body { JSON, FORM }

    /** One request to a vendor's endpoint. */
    interface Request {

        /** A request header, e.g. {@code Authorization}; null when absent. */
        String header(String name);

        /**
         * The body parsed within the intake's limits (nesting, number and string length); a body that is not JSON is
         * refused with a 400. Parsed when asked for, so an endpoint authenticates first.
         */
        JsonNode json();

        /** Every posted form parameter, each with its values in the order posted. */
        Map<String, List<String>> form();
    }

    /**
     * Checks and translates a request on a worker thread, and returns the store's future ({@link VendorReports#store}):
     * the request is answered when it completes, with no thread waiting for the commit meanwhile.
     */
    @FunctionalInterface
    interface Receiver {
        CompletableFuture<Intake.Outcome> receive(Request request) throws Exception;
    }

    /**
     * Serves {@code POST path} (under {@code /webhooks/}, where the intake's webhook size limit applies) as the route
     * {@code intake-<receivedVia>}.
     *
     * @param receivedVia     the label of the stored events ({@code receivedVia}) and of the intake metrics
     * @param disabledBecause why the endpoint refuses every request (a secret not set), logged at start-up
     */
    void serve(String path, String receivedVia, Body body, Optional<String> disabledBecause, Receiver receiver);

    /**
     * Where an endpoint stores what the vendor reports.
     *
     * @param vendor the vendor as Segment's {@code integrations} object names it, e.g. {@code Sailthru}
     */
    VendorReports reports(String vendor, String receivedVia);
}
