package dev.warren;

import java.util.Objects;

/**
 * A channel or connection was closed, by the broker, by the network, or by the application,
 * while an operation was pending or before it started.
 *
 * <p>Every operation pending on the channel (or on any channel of the connection) when it
 * closes fails with this exception, and every later call fails with it at once. For a publish
 * that was not yet confirmed, the outcome is <em>unknown</em>: the broker may or may not have
 * the message.
 *
 * <p>{@link #replyCode()} and {@link #replyText()} are what the broker said (for example 403
 * and {@code ACCESS_REFUSED - ...}); {@link #failedMethod()} names the AMQP method that caused
 * the close (for example {@code queue.declare}), so the failing operation can be told from its
 * siblings that merely shared the channel.
 */
public abstract sealed class ClosedException extends WarrenException
        permits ChannelClosedException, ConnectionClosedException {
    private static final long serialVersionUID = 1L;

    /** The AMQP reply code. */
    private final int replyCode;
    /** The broker's reply text. */
    private final String replyText;
    /** Whether the broker or the network closed it. */
    private final boolean initiatedByBroker;
    /** The AMQP method the close refers to, or null. */
    private final String failedMethod;
    /**
     * The cause, kept here too: {@link Throwable#getCause()} takes the exception's monitor, and
     * thousands of waiters woken by one close each copy it ({@link #forCaller()}); contending for
     * that monitor holds a virtual thread's carrier on Java 21.
     */
    private final transient Throwable origin;

    ClosedException(String what, int replyCode, String replyText, boolean initiatedByBroker,
            String failedMethod, Throwable cause) {
        super(message(what, replyCode, replyText, initiatedByBroker, failedMethod), cause);
        this.replyCode = replyCode;
        this.replyText = Objects.requireNonNullElse(replyText, "");
        this.initiatedByBroker = initiatedByBroker;
        this.failedMethod = failedMethod;
        this.origin = cause;
    }

    /**
     * A copy of {@code original} for another caller: the same message, fields and cause, with
     * this caller's stack trace. Cheaper than building the message again, which counts when a
     * close wakes a million waiters.
     */
    ClosedException(ClosedException original) {
        super(original.getMessage(), original.origin);
        this.replyCode = original.replyCode;
        this.replyText = original.replyText;
        this.initiatedByBroker = original.initiatedByBroker;
        this.failedMethod = original.failedMethod;
        this.origin = original.origin;
    }

    /** The cause as given to the constructor, read without {@code getCause()}'s monitor. */
    Throwable origin() {
        return origin;
    }

    /**
     * The AMQP reply code, e.g. 403, 404, 406, 320; 200 for a normal close; 0 when the network failed.
     *
     * @return the AMQP reply code, e.g. 403, 404, 406, 320
     */
    public int replyCode() {
        return replyCode;
    }

    /**
     * The broker's reply text, e.g. {@code NOT_FOUND - no queue 'x' in vhost '/'}; never null.
     *
     * @return the broker's reply text, e.g. {@code NOT_FOUND - no queue 'x' in vhost '/'}
     */
    public String replyText() {
        return replyText;
    }

    /**
     * True when the broker (or the network) closed it, false when the application did.
     *
     * @return true when the broker (or the network) closed it, false when the application did
     */
    public boolean initiatedByBroker() {
        return initiatedByBroker;
    }

    /**
     * The AMQP method the close refers to, as {@code class.method} (e.g. {@code queue.declare}),
     * or null when the close names none (a forced close, a network failure, a close by the
     * application).
     *
     * @return the AMQP method the close refers to, as {@code class.method} (e.g. {@code queue.declare}), or
     *         null when the close names none (a forced close, a network failure, a close by the application)
     */
    public String failedMethod() {
        return failedMethod;
    }

    /**
     * A copy with the same reply code, text and method, whose stack trace is that of the calling
     * thread: the close is recorded once per channel, and each caller it is thrown to gets its
     * own copy, so that the trace shows where that caller was waiting.
     *
     * @return a new exception of the same type
     */
    public abstract ClosedException forCaller();

    private static String message(String what, int code, String text, boolean byBroker, String method) {
        if (code == 0 && text != null && !text.isEmpty()) {
            // No AMQP close: the network or missed heartbeats took it, or the client ended it
            // (an operation timeout, a frame amqp-client refused).
            StringBuilder sb = new StringBuilder(what).append(byBroker ? " lost: " : " ended by the client: ")
                    .append(text);
            if (method != null) {
                sb.append(" (").append(method).append(')');
            }
            return sb.toString();
        }
        StringBuilder sb = new StringBuilder(what).append(" closed ")
                .append(byBroker ? "by the broker" : "by the application");
        if (code != 0 || (text != null && !text.isEmpty())) {
            sb.append(": ").append(code);
            if (text != null && !text.isEmpty()) {
                sb.append(' ').append(text);
            }
        }
        if (method != null) {
            sb.append(" (in reply to ").append(method).append(')');
        }
        return sb.toString();
    }
}
