package dev.warren;

import dev.warren.internal.Connector;
import dev.warren.internal.Writer;

/**
 * Where Warren starts: opens {@link BlockingConnection}s.
 *
 * <pre>{@code
 * try (BlockingConnection conn = Warren.connect("amqp://guest:guest@localhost:5672");
 *      BlockingChannel ch = conn.openChannel()) {
 *     ch.queueDeclare(QueueSpec.named("hello"));
 *     ch.publish("", "hello", "hi".getBytes());
 * }
 * }</pre>
 */
public final class Warren {
    private Warren() {}

    /**
     * Connects with default options; blocks the calling thread until the connection is open.
     *
     * @param uri {@code amqp://user:password@host:port/vhost} or {@code amqps://...}
     * @return the open connection
     * @throws NullPointerException if uri is null
     * @throws IllegalArgumentException if it is blank or malformed
     * @throws ConnectFailedException if the broker cannot be reached or refuses the connection
     */
    public static BlockingConnection connect(String uri) {
        return connect(ConnectionOptions.of(uri));
    }

    /**
     * Connects; blocks the calling thread until the connection is open (up to the connect
     * timeout for the TCP connection and again for the handshake).
     *
     * @param options how to do it
     * @return the open connection
     * @throws NullPointerException if options is null
     * @throws IllegalArgumentException if the URI is malformed
     * @throws ConnectFailedException if the broker cannot be reached or refuses the connection
     *         (the message names host, port, vhost and reason, never the password)
     */
    public static BlockingConnection connect(ConnectionOptions options) {
        java.util.Objects.requireNonNull(options, "options");
        Writer writer = BlockingConnection.newWriter(options);
        try {
            String[] address = new String[1];
            return new BlockingConnection(Connector.open(options, writer, a -> address[0] = a), options, writer,
                    address[0]);
        } catch (RuntimeException | Error e) {
            writer.stop();
            throw e;
        }
    }

    /**
     * Opens a {@link RobustConnection}: the first connection is made before it returns (trying
     * each of {@link ConnectionOptions#addresses()} in turn), later losses are recovered in the
     * background by the options' {@link ConnectionOptions#recovery() recovery policy}.
     *
     * @param options the addresses, credentials, timeouts and recovery policy of every connection
     * @return the robust connection, with its first connection open
     * @throws NullPointerException if options is null
     * @throws IllegalArgumentException if the URI is malformed
     * @throws ConnectFailedException if no address accepted the first connection (it names each
     *         address tried and why it failed)
     */
    public static RobustConnection connectRobust(ConnectionOptions options) {
        return RobustConnection.open(options);
    }
}
