package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownNotifier;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.ChannelClosedException;
import dev.warren.ClosedException;
import dev.warren.ConnectionClosedException;
import java.io.IOException;

/** Turns amqp-client's shutdown signals into Warren's {@link ClosedException}s. */
public final class Closes {
    private Closes() {}

    /**
     * The exception for a shutdown signal seen by a channel: a connection error (hard error)
     * gives {@link ConnectionClosedException}, a channel error {@link ChannelClosedException}.
     */
    public static ClosedException from(ShutdownSignalException s, int channelNumber, String connectionName) {
        if (s instanceof AlreadyClosedException && s.getReference() instanceof ShutdownNotifier n
                && n.getCloseReason() != null) {
            // A later call's copy of the close: it has lost the cause (network failure, missed
            // heartbeats) that the original, recorded by the channel or connection, carries.
            s = n.getCloseReason();
        }
        Method reason = s.getReason();
        int code = 0;
        String text = null;
        String method = null;
        if (reason instanceof AMQP.Channel.Close c) {
            code = c.getReplyCode();
            text = c.getReplyText();
            method = AmqpMethods.name(c.getClassId(), c.getMethodId());
        } else if (reason instanceof AMQP.Connection.Close c) {
            code = c.getReplyCode();
            text = c.getReplyText();
            method = AmqpMethods.name(c.getClassId(), c.getMethodId());
        } else {
            Throwable cause = s.getCause();
            text = cause != null ? describe(cause) : s.getMessage();
        }
        boolean byBroker = !s.isInitiatedByApplication();
        if (s.isHardError()) {
            return new ConnectionClosedException(connectionName, code, text, byBroker, method, s);
        }
        return new ChannelClosedException(channelNumber, code, text, byBroker, method, s);
    }

    /** The shutdown signal behind an exception thrown by amqp-client, or null if there is none. */
    public static ShutdownSignalException signalOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException s) {
                return s;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    /** What a failure that ended a connection is, in words (missed heartbeats, a network failure). */
    static String describe(Throwable cause) {
        String name = cause.getClass().getSimpleName();
        if (name.equals("MissedHeartbeatException")) {
            return "missed heartbeats from the broker: " + cause.getMessage();
        }
        if (cause instanceof IOException) {
            return "network failure: " + cause;
        }
        return cause.toString();
    }
}
