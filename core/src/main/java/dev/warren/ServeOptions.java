package dev.warren;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * How {@link BlockingChannel#serve(String, ServeOptions, RequestHandler)} consumes and answers
 * requests: immutable; start with {@link #defaults()} and change what you need.
 *
 * <pre>{@code
 * ch.serve("prices", ServeOptions.defaults().withConcurrency(16), req -> Message.text(price(req)));
 * }</pre>
 */
public final class ServeOptions {
    /** The prefetch of {@link #defaults()}. */
    public static final int DEFAULT_PREFETCH = ConsumeOptions.DEFAULT_PREFETCH;
    /** The concurrency of {@link #defaults()}: how many handlers may run at once. */
    public static final int DEFAULT_CONCURRENCY = 100;

    /** Every reply-to is allowed: the default of {@link #withReplyTo}. */
    private static final Predicate<String> ANY_REPLY_TO = replyTo -> true;
    private static final ServeOptions DEFAULTS = new ServeOptions(DEFAULT_PREFETCH, DEFAULT_CONCURRENCY, true, false,
            ANY_REPLY_TO);

    private final int prefetch;
    private final int concurrency;
    private final boolean errorReplies;
    private final boolean errorDetails;
    private final Predicate<String> replyTo;

    private ServeOptions(int prefetch, int concurrency, boolean errorReplies, boolean errorDetails,
            Predicate<String> replyTo) {
        this.prefetch = prefetch;
        this.concurrency = concurrency;
        this.errorReplies = errorReplies;
        this.errorDetails = errorDetails;
        this.replyTo = replyTo;
    }

    /**
     * Prefetch {@value #DEFAULT_PREFETCH}, concurrency {@value #DEFAULT_CONCURRENCY}, error
     * replies on without the exception's message, every reply-to allowed.
     *
     * @return the defaults
     */
    public static ServeOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The most unacknowledged requests the broker sends this server (basic.qos per consumer);
     * requests beyond the concurrency wait in the subscription's buffer. Ignored when serving
     * an existing {@link Subscription}.
     *
     * @param prefetch the prefetch count
     * @return a copy with this setting
     * @throws IllegalArgumentException if not in 1..65535
     */
    public ServeOptions withPrefetch(int prefetch) {
        if (prefetch < 1 || prefetch > 65535) {
            throw new IllegalArgumentException("prefetch must be 1..65535, not " + prefetch);
        }
        return new ServeOptions(prefetch, concurrency, errorReplies, errorDetails, replyTo);
    }

    /**
     * How many handlers may run at once, each in its own subtask.
     *
     * @param concurrency how many may run at once
     * @return a copy with this setting
     * @throws IllegalArgumentException if less than 1
     */
    public ServeOptions withConcurrency(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, not " + concurrency);
        }
        return new ServeOptions(prefetch, concurrency, errorReplies, errorDetails, replyTo);
    }

    /**
     * Whether a handler's exception is answered with an error reply (true, the default; see
     * {@link RequestHandler}) or the request nacked without requeue (false: it is dropped or
     * dead-lettered, and the caller times out).
     *
     * @param errorReplies whether to answer failures with an error reply
     * @return a copy with this setting
     */
    public ServeOptions withErrorReplies(boolean errorReplies) {
        return new ServeOptions(prefetch, concurrency, errorReplies, errorDetails, replyTo);
    }

    /**
     * Whether an error reply carries the handler exception's message (true) or only its class
     * name (false, the default). An error reply goes to whoever may publish to the served queue,
     * and an exception's message can hold what the server knows and the requester should not (a
     * JDBC or HTTP exception's message may name a URL with its password, a row, a path); turn
     * this on only when every requester may see it. The handler's exception is logged at debug
     * level either way.
     *
     * @param errorDetails whether error replies carry the exception's message
     * @return a copy with this setting
     */
    public ServeOptions withErrorDetails(boolean errorDetails) {
        return new ServeOptions(prefetch, concurrency, errorReplies, errorDetails, replyTo);
    }

    /**
     * Which reply-to addresses the server answers. A reply is published through the default
     * exchange with the <em>server's</em> permissions to the queue the request's reply-to names,
     * so by default (every reply-to allowed, what Spring's fixed reply queues and the tutorials'
     * server-named queues rely on) a requester that may only publish to the served queue can make
     * the server write into any queue the server may write to. Restrict it here, for example to
     * direct reply-to: {@code withReplyTo(r -> r.startsWith("amq.rabbitmq.reply-to"))}. A request
     * whose reply-to the predicate refuses is not handled: it is nacked without requeue
     * (dead-lettered if its queue has a dead-letter exchange) and logged, and its caller times
     * out. The predicate runs on the handler's thread, once per request, and must not block.
     *
     * @param allowed whether a reply-to (a queue name) may be answered
     * @return a copy with this setting
     * @throws NullPointerException if {@code allowed} is null
     */
    public ServeOptions withReplyTo(Predicate<String> allowed) {
        return new ServeOptions(prefetch, concurrency, errorReplies, errorDetails,
                Objects.requireNonNull(allowed, "allowed"));
    }

    /**
     * Whether an error reply carries the handler exception's message.
     *
     * @return whether an error reply carries the exception's message, false unless set
     */
    public boolean errorDetails() {
        return errorDetails;
    }

    /**
     * Which reply-to addresses are answered.
     *
     * @return the predicate given with {@link #withReplyTo}, or one that allows every reply-to
     */
    public Predicate<String> replyTo() {
        return replyTo;
    }

    /**
     * The prefetch count.
     *
     * @return the prefetch count
     */
    public int prefetch() {
        return prefetch;
    }

    /**
     * How many handlers may run at once.
     *
     * @return how many handlers may run at once
     */
    public int concurrency() {
        return concurrency;
    }

    /**
     * Whether a handler's exception is answered with an error reply.
     *
     * @return whether a handler's exception is answered with an error reply
     */
    public boolean errorReplies() {
        return errorReplies;
    }

    @Override
    public String toString() {
        return "ServeOptions[prefetch " + prefetch + ", concurrency " + concurrency
                + (errorReplies ? errorDetails ? ", error replies with details" : ", error replies" : ", nack on failure")
                + (replyTo != ANY_REPLY_TO ? ", reply-to restricted" : "") + "]";
    }
}
