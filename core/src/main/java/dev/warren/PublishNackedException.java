package dev.warren;

/**
 * The broker refused a published message (basic.nack): for example a queue with
 * {@code x-overflow: reject-publish} was full, or the broker could not store it. The message
 * was not enqueued; publishing it again is safe.
 */
public final class PublishNackedException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /** The exchange it was published to. */
    private final String exchange;
    /** Its routing key. */
    private final String routingKey;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param exchange the exchange it was published to
     * @param routingKey its routing key
     */
    public PublishNackedException(String exchange, String routingKey) {
        super("the broker nacked a message published to exchange '" + exchange + "' with routing key '"
                + routingKey + "'", null);
        this.exchange = exchange;
        this.routingKey = routingKey;
    }

    /**
     * The exchange the message was published to ({@code ""} for the default exchange).
     *
     * @return the exchange the message was published to ({@code ""} for the default exchange)
     */
    public String exchange() {
        return exchange;
    }

    /**
     * The message's routing key.
     *
     * @return the message's routing key
     */
    public String routingKey() {
        return routingKey;
    }
}
