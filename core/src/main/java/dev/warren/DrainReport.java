package dev.warren;

import java.time.Duration;

/**
 * What a graceful close ({@link BlockingConnection#close(Duration)},
 * {@link RobustConnection#close(Duration)}) did, and what was still running when its grace ran
 * out. The counts of what still ran are taken at the end of the wait, just before the close
 * cancelled it: those handlers were interrupted (their deliveries requeued by the broker), those
 * publishes and calls failed with the {@link ClosedException} in their callers, never silently.
 *
 * @param elapsed how long the drain waited before closing
 * @param subscriptionsCancelled subscriptions cancelled ({@link Subscription#cancel()}) by the drain
 * @param deliveriesRequeued deliveries buffered and never handed out, requeued at the close
 * @param handlersRunning subtasks of the connection's channels (handlers, serve loops) still running
 * @param worksRunning supervised works still running (always 0 for a {@link BlockingConnection})
 * @param publishesUnconfirmed publishes still waiting for the broker's confirm
 * @param callsPending {@code call}s still waiting for their reply
 */
public record DrainReport(Duration elapsed, int subscriptionsCancelled, int deliveriesRequeued, int handlersRunning,
        int worksRunning, int publishesUnconfirmed, int callsPending) {

    /**
     * The report of a close that found the connection closed already: nothing to drain.
     *
     * @return a report of zeros
     */
    static DrainReport nothing() {
        return new DrainReport(Duration.ZERO, 0, 0, 0, 0, 0, 0);
    }

    /**
     * Whether everything finished within the grace: no handler, work, publish or call was cut off.
     *
     * @return whether nothing was still running when the connection closed
     */
    public boolean complete() {
        return handlersRunning == 0 && worksRunning == 0 && publishesUnconfirmed == 0 && callsPending == 0;
    }

    /** This drain and {@code other}, which ran after it (a robust connection drains two connections). */
    DrainReport plus(DrainReport other) {
        return new DrainReport(elapsed.plus(other.elapsed), subscriptionsCancelled + other.subscriptionsCancelled,
                deliveriesRequeued + other.deliveriesRequeued, handlersRunning + other.handlersRunning,
                worksRunning + other.worksRunning, publishesUnconfirmed + other.publishesUnconfirmed,
                callsPending + other.callsPending);
    }
}
