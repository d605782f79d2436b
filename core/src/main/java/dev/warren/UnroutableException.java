package dev.warren;

/**
 * A message published with the {@code mandatory} flag could not be routed to any queue, and the
 * broker returned it (basic.return, typically 312 NO_ROUTE). The message was not enqueued.
 */
public final class UnroutableException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /** The AMQP reply code. */
    private final int replyCode;
    /** The broker's reply text. */
    private final String replyText;
    /** The exchange it was published to. */
    private final String exchange;
    /** Its routing key. */
    private final String routingKey;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param replyCode the broker's reply code, e.g. 312
     * @param replyText the broker's reply text, e.g. NO_ROUTE
     * @param exchange the exchange it was published to
     * @param routingKey its routing key
     */
    public UnroutableException(int replyCode, String replyText, String exchange, String routingKey) {
        super("the broker returned a mandatory message published to exchange '" + exchange
                + "' with routing key '" + routingKey + "': " + replyCode + " " + replyText, null);
        this.replyCode = replyCode;
        this.replyText = replyText;
        this.exchange = exchange;
        this.routingKey = routingKey;
    }

    /**
     * The broker's reply code, e.g. 312.
     *
     * @return the broker's reply code, e.g. 312
     */
    public int replyCode() {
        return replyCode;
    }

    /**
     * The broker's reply text, e.g. {@code NO_ROUTE}.
     *
     * @return the broker's reply text, e.g. {@code NO_ROUTE}
     */
    public String replyText() {
        return replyText;
    }

    /**
     * The exchange the message was published to.
     *
     * @return the exchange the message was published to
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
