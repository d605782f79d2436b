package dev.warren;

import dev.warren.internal.Durations;
import java.time.Duration;

/**
 * A publish did not complete within the publish timeout set in {@link ConnectionOptions}:
 * typically because the broker blocked the connection (a memory or disk alarm), or because the
 * channel's bound on unconfirmed messages stayed full. When it is thrown before the message was
 * written, the message was not sent; when after, its outcome is unknown (the message says
 * which).
 */
public final class PublishTimeoutException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /** The timeout that elapsed. */
    private final Duration timeout;
    /** Whether the message had been written to the socket. */
    private final boolean sent;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param reason what it waited for
     * @param timeout the timeout that elapsed
     * @param sent whether the message had been written to the socket
     */
    public PublishTimeoutException(String reason, Duration timeout, boolean sent) {
        super("publish timed out after " + Durations.millis(timeout) + " " + reason
                + (sent ? "; the message was sent, its outcome is unknown" : "; the message was not sent"),
                null);
        this.timeout = timeout;
        this.sent = sent;
    }

    /**
     * The timeout that elapsed.
     *
     * @return the timeout that elapsed
     */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Whether the message had been written before the timeout (then its outcome is unknown).
     *
     * @return whether the message had been written before the timeout (then its outcome is unknown)
     */
    public boolean sent() {
        return sent;
    }
}
