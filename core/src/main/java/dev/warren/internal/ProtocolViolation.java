package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.impl.AMQConnection;
import dev.warren.ConnectionClosedException;
import java.net.ProtocolException;

/**
 * A peer broke AMQP 0-9-1 in a way that leaves Warren's state unsound (a confirm for a message
 * never sent): the connection is closed with 503 COMMAND_INVALID, as the specification asks of
 * a peer that receives an invalid command, and the close's cause is a {@link ProtocolException}
 * that says what was received.
 */
final class ProtocolViolation {
    private ProtocolViolation() {}

    /**
     * On amqp-client's reader thread: fails the channel at once (every pending operation gets the
     * {@link ConnectionClosedException}), then closes the connection from another thread, so that
     * the reader goes on reading (the close-ok) and never writes or waits itself. Never blocks.
     */
    static void closeConnection(ChannelContext ctx, String method, String what) {
        ProtocolException violation = new ProtocolException(what);
        String text = "protocol violation: " + what;
        ctx.shutdown(new ConnectionClosedException(ctx.connectionName(), AMQP.COMMAND_INVALID, text, false, method,
                violation));
        Connection c = ctx.raw().getConnection();
        Offload.start("protocol-violation", () -> {
            if (c instanceof AMQConnection amqp) {
                // abort: no wait for the close-ok beyond the timeout, no exception if the socket is gone.
                amqp.close(AMQP.COMMAND_INVALID, text, true, violation, 1000, true);
            } else {
                c.abort(AMQP.COMMAND_INVALID, text);
            }
            return null;
        });
    }
}
