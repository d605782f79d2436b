package dev.warren;

/**
 * A connection was closed or lost: closed by the broker (320 CONNECTION_FORCED from an
 * operator, a connection error such as 530 NOT_ALLOWED), by the network (socket error, missed
 * heartbeats; reply code 0), or by the application. Every channel of the connection is closed
 * with it, and every operation pending on any of them fails with this exception.
 */
public final class ConnectionClosedException extends ClosedException {
    private static final long serialVersionUID = 1L;

    /** The connection's client-provided name, or null. */
    private final String connectionName;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param connectionName the connection's client-provided name, or null
     * @param replyCode the AMQP reply code, 0 when the network failed
     * @param replyText the broker's reply text, or a description of the network failure
     * @param initiatedByBroker whether the broker or the network closed it
     * @param failedMethod the method it refers to, as {@code class.method}, or null
     * @param cause the client library's signal, or null
     */
    public ConnectionClosedException(String connectionName, int replyCode, String replyText,
            boolean initiatedByBroker, String failedMethod, Throwable cause) {
        super(connectionName == null ? "connection" : "connection '" + connectionName + "'",
                replyCode, replyText, initiatedByBroker, failedMethod, cause);
        this.connectionName = connectionName;
    }

    /**
     * The connection's client-provided name, or null.
     *
     * @return the connection's client-provided name, or null
     */
    public String connectionName() {
        return connectionName;
    }

    @Override
    public ConnectionClosedException forCaller() {
        return new ConnectionClosedException(this);
    }

    private ConnectionClosedException(ConnectionClosedException original) {
        super(original);
        this.connectionName = original.connectionName;
    }
}
