package dev.warren;

/**
 * The broker cancelled a subscription (basic.cancel from the broker), typically because its
 * queue was deleted. Thrown by {@code take()} and {@code poll} once every delivery buffered
 * before the cancel has been taken.
 */
public final class ConsumerCancelledException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /** The queue that was consumed. */
    private final String queue;
    /** The subscription's consumer tag. */
    private final String consumerTag;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param queue the queue that was consumed
     * @param consumerTag the subscription's consumer tag
     */
    public ConsumerCancelledException(String queue, String consumerTag) {
        super("the broker cancelled consumer '" + consumerTag + "' of queue '" + queue
                + "' (was the queue deleted?)", null);
        this.queue = queue;
        this.consumerTag = consumerTag;
    }

    /**
     * The queue that was consumed.
     *
     * @return the queue that was consumed
     */
    public String queue() {
        return queue;
    }

    /**
     * The subscription's consumer tag.
     *
     * @return the subscription's consumer tag
     */
    public String consumerTag() {
        return consumerTag;
    }
}
