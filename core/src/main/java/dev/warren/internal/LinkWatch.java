package dev.warren.internal;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MissedHeartbeatException;
import com.rabbitmq.client.SocketConfigurator;
import com.rabbitmq.client.impl.DefaultExceptionHandler;
import java.io.IOException;
import java.net.Socket;

/**
 * Makes missed heartbeats end a connection even while a write to it is stuck.
 *
 * <p>When the network freezes with a write in progress, amqp-client's reader sees the heartbeats
 * go missing, but its shutdown then waits for the channel lock that the stuck writer holds, until
 * TCP gives up (minutes). This closes the socket first, from amqp-client's exception handler,
 * which the reader calls before the shutdown: the stuck write fails, releases the lock, and
 * everything waiting on the connection fails with its {@code ConnectionClosedException}.
 *
 * <p>It also makes the reader count missed heartbeats so that the loss is declared within two
 * heartbeat intervals of the last frame received: amqp-client reads with a timeout of a quarter
 * interval and gives up after more than eight timeouts (2.25 intervals); a fifth of an interval
 * makes that 1.8.
 */
final class LinkWatch extends DefaultExceptionHandler implements SocketConfigurator {
    private final SocketConfigurator configurator;
    private final Writer writer;
    private volatile Socket socket;

    /**
     * @param configurator amqp-client's socket configurator to run first (TCP_NODELAY, TLS host checks)
     * @param writer the connection's writer, told why its socket is closed under it
     */
    LinkWatch(SocketConfigurator configurator, Writer writer) {
        this.configurator = configurator;
        this.writer = writer;
    }

    @Override
    public void configure(Socket s) throws IOException {
        if (configurator != null) {
            configurator.configure(s);
        }
        socket = s;
    }

    /** After the handshake: reads time out at a fifth of the negotiated heartbeat interval. */
    void opened(Connection connection) {
        Socket s = socket;
        int heartbeat = connection.getHeartbeat();
        if (s != null && heartbeat > 0) {
            try {
                s.setSoTimeout(Math.max(1, heartbeat * 1000 / 5));
            } catch (IOException e) {
                // The socket failed already: the reader reports that by itself.
            }
        }
    }

    @Override
    public void handleUnexpectedConnectionDriverException(Connection conn, Throwable exception) {
        if (exception instanceof MissedHeartbeatException) {
            // Told first, so that a write failing now reports the missed heartbeats, not "Socket closed".
            writer.lost(exception);
            Socket s = socket;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // Closing is all that is wanted.
                }
            }
        }
        super.handleUnexpectedConnectionDriverException(conn, exception);
    }
}
