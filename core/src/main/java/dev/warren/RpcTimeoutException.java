package dev.warren;

import dev.warren.internal.Durations;
import java.time.Duration;

/**
 * A request/reply {@code call} got no reply within its timeout. Its entry is removed; a reply
 * that arrives later is dropped.
 */
public final class RpcTimeoutException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /** The timeout that elapsed. */
    private final Duration timeout;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param what what timed out, e.g. the routing key and correlation id
     * @param timeout the timeout that elapsed
     */
    public RpcTimeoutException(String what, Duration timeout) {
        super("no reply to " + what + " within " + Durations.millis(timeout), null);
        this.timeout = timeout;
    }

    /**
     * The timeout that elapsed.
     *
     * @return the timeout that elapsed
     */
    public Duration timeout() {
        return timeout;
    }
}
