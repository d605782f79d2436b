package dev.warren;

/**
 * A channel was closed: by the broker (a channel error such as 403 ACCESS_REFUSED, 404
 * NOT_FOUND or 406 PRECONDITION_FAILED), or by the application. A channel error closes only
 * its own channel; the connection and its other channels carry on.
 */
public final class ChannelClosedException extends ClosedException {
    private static final long serialVersionUID = 1L;

    /** The channel's number on its connection. */
    private final int channelNumber;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param channelNumber the channel's number on its connection
     * @param replyCode the AMQP reply code
     * @param replyText the broker's reply text
     * @param initiatedByBroker whether the broker closed it
     * @param failedMethod the method it refers to, as {@code class.method}, or null
     * @param cause the client library's signal, or null
     */
    public ChannelClosedException(int channelNumber, int replyCode, String replyText,
            boolean initiatedByBroker, String failedMethod, Throwable cause) {
        super("channel " + channelNumber, replyCode, replyText, initiatedByBroker, failedMethod, cause);
        this.channelNumber = channelNumber;
    }

    /**
     * The channel's number on its connection.
     *
     * @return the channel's number on its connection
     */
    public int channelNumber() {
        return channelNumber;
    }

    @Override
    public ChannelClosedException forCaller() {
        return new ChannelClosedException(channelNumber, replyCode(), replyText(), initiatedByBroker(),
                failedMethod(), origin());
    }
}
