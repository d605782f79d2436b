package dev.warren;

/**
 * A connection could not be opened: the host refused or could not be reached, the credentials
 * were wrong (403 ACCESS_REFUSED), the virtual host does not exist, the handshake timed out, or
 * TLS failed (the broker's certificate untrusted, expired or for other host names, no common
 * protocol version, the client certificate refused). The message names host, port and virtual
 * host and the reason in words, never the password or key; the cause is amqp-client's or the
 * JDK's exception. Nothing stays open after it is thrown.
 */
public final class ConnectFailedException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /** The host that was tried. */
    private final String host;
    /** The port that was tried. */
    private final int port;
    /** The virtual host that was asked for. */
    private final String virtualHost;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param host the host that was tried
     * @param port the port that was tried
     * @param virtualHost the virtual host that was asked for
     * @param reason why it failed, in words
     * @param cause the underlying failure
     */
    public ConnectFailedException(String host, int port, String virtualHost, String reason, Throwable cause) {
        super("cannot connect to " + host + ":" + port + " vhost '" + virtualHost + "': " + reason, cause);
        this.host = host;
        this.port = port;
        this.virtualHost = virtualHost;
    }

    /**
     * The host that was tried.
     *
     * @return the host that was tried
     */
    public String host() {
        return host;
    }

    /**
     * The port that was tried.
     *
     * @return the port that was tried
     */
    public int port() {
        return port;
    }

    /**
     * The virtual host that was asked for.
     *
     * @return the virtual host that was asked for
     */
    public String virtualHost() {
        return virtualHost;
    }
}
