package dev.warren;

/**
 * Gauges of one connection, read when asked (nothing is counted per message): what a
 * {@link WarrenObserver} is given when the connection opens. Every value is 0 once the
 * connection is closed. Values are snapshots taken without locks, so under load they are
 * approximate. Safe to call from any thread; never blocks.
 */
public interface ConnectionStats {
    /**
     * The connection's client-provided name.
     *
     * @return the connection's name, or null
     */
    String connectionName();

    /**
     * Channels open on the connection.
     *
     * @return the number of open channels
     */
    int openChannels();

    /**
     * Messages published and not yet confirmed, on all channels.
     *
     * @return the number of unconfirmed publishes
     */
    int unconfirmedPublishes();

    /**
     * Threads parked in {@code publish}: waiting for a confirm, for room under the bound on
     * unconfirmed messages, or for a blocked connection.
     *
     * @return the number of parked publishers
     */
    int parkedInPublish();

    /**
     * Threads parked in {@code call}, waiting for a reply.
     *
     * @return the number of parked callers
     */
    int parkedInCall();

    /**
     * Threads parked in {@code take()}, {@code poll(timeout)} or a subscription's iteration.
     *
     * @return the number of parked takers
     */
    int parkedInTake();

    /**
     * Whether this connection skips verifying the broker's certificate and host name
     * ({@code TlsOptions.trustingAnyCertificateInsecurely()}): an observer can flag such a
     * connection on a dashboard; Warren also warns when it opens and marks it in its JFR events.
     *
     * @return true for a TLS connection that does not verify the broker, false otherwise
     */
    default boolean tlsUnverified() {
        return false;
    }

    /**
     * The broker's address as this connection reached it (host name or IP literal), for
     * {@code server.address} in traces.
     *
     * @return the broker's address, or null if unknown
     */
    default String serverAddress() {
        return null;
    }

    /**
     * The broker's port as this connection reached it, for {@code server.port} in traces.
     *
     * @return the broker's port, or -1 if unknown
     */
    default int serverPort() {
        return -1;
    }
}
