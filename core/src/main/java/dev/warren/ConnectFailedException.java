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
    /** Each address tried and why it failed, as {@code "host:port: reason"}, in the order tried. */
    private final java.util.List<String> attempts;

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
        this.attempts = java.util.List.of(host + ":" + port + ": " + reason);
    }

    /**
     * A failure after trying several addresses in turn (see
     * {@link ConnectionOptions#withAddresses(String...)}); {@link #host()} and {@link #port()}
     * name the last one. The failures of the others are attached as suppressed exceptions.
     *
     * @param host the last host tried
     * @param port the last port tried
     * @param virtualHost the virtual host that was asked for
     * @param attempts each address tried and why it failed, as {@code "host:port: reason"}, in order
     * @param cause the last underlying failure
     */
    public ConnectFailedException(String host, int port, String virtualHost, java.util.List<String> attempts,
            Throwable cause) {
        super("cannot connect to any of " + attempts.size() + " addresses, vhost '" + virtualHost + "': "
                + String.join("; ", attempts), cause);
        this.host = host;
        this.port = port;
        this.virtualHost = virtualHost;
        this.attempts = java.util.List.copyOf(attempts);
    }

    /**
     * Each address tried and why it failed, as {@code "host:port: reason"}, in the order tried.
     *
     * @return an unmodifiable list with one entry per address tried; a single entry when only one was
     */
    public java.util.List<String> attempts() {
        return attempts;
    }

    /**
     * Whether the credentials or the virtual host were refused by every address tried (403
     * ACCESS_REFUSED, 530 NOT_ALLOWED): trying again will not help, so a {@link RobustConnection}
     * gives up. One address refusing while another was unreachable is not a verdict (that node
     * may be shutting down), nor is amqp-client's {@code PossibleAuthenticationFailureException}:
     * a socket closed during the handshake, as a node going down or a virtual host still
     * starting does it.
     *
     * @return true if the cause and every suppressed failure (one per other address tried) is
     *         an authentication failure or a connection close with reply code 403 or 530
     */
    public boolean accessRefused() {
        if (!refusal(getCause())) {
            return false;
        }
        for (Throwable t : getSuppressed()) {
            if (!refusal(t)) {
                return false;
            }
        }
        return true;
    }

    private static boolean refusal(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            // A subclass of the "possible" one: the broker said 403 before it closed.
            if (c instanceof com.rabbitmq.client.AuthenticationFailureException) {
                return true;
            }
            if (c instanceof com.rabbitmq.client.PossibleAuthenticationFailureException) {
                return false;
            }
            if (c instanceof com.rabbitmq.client.ShutdownSignalException s
                    && s.getReason() instanceof com.rabbitmq.client.AMQP.Connection.Close close
                    && (close.getReplyCode() == 403 || close.getReplyCode() == 530)) {
                return true;
            }
        }
        return false;
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
