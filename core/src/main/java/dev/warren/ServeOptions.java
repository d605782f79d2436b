package dev.warren;

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

    private static final ServeOptions DEFAULTS = new ServeOptions(DEFAULT_PREFETCH, DEFAULT_CONCURRENCY, true);

    private final int prefetch;
    private final int concurrency;
    private final boolean errorReplies;

    private ServeOptions(int prefetch, int concurrency, boolean errorReplies) {
        this.prefetch = prefetch;
        this.concurrency = concurrency;
        this.errorReplies = errorReplies;
    }

    /**
     * Prefetch {@value #DEFAULT_PREFETCH}, concurrency {@value #DEFAULT_CONCURRENCY}, error
     * replies on.
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
        return new ServeOptions(prefetch, concurrency, errorReplies);
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
        return new ServeOptions(prefetch, concurrency, errorReplies);
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
        return new ServeOptions(prefetch, concurrency, errorReplies);
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
                + (errorReplies ? ", error replies" : ", nack on failure") + "]";
    }
}
