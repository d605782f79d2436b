package dev.warren;

import java.time.Duration;

/**
 * Told of every loss, recovery and block of a {@link RobustConnection}
 * ({@link RobustConnection#addListener(RecoveryListener)}). The methods run on a virtual thread
 * of the robust connection's own, one at a time and in the order the events happened; a slow
 * listener delays only the events after it, never a reconnect. A listener may call
 * {@link RobustConnection#close()} (it returns; it does not wait for the listener thread). An
 * exception or error one throws is logged and otherwise ignored.
 */
public interface RecoveryListener {
    /**
     * The connection was lost (or the broker closed it); reconnecting starts now.
     *
     * @param cause what every pending call on it got
     */
    default void connectionLost(ConnectionClosedException cause) {}

    /**
     * A new connection is open.
     *
     * @param address the {@code host:port} it is connected to
     * @param attempts how many attempts it took (1 or more)
     * @param outage how long it was without a connection
     */
    default void connectionRecovered(String address, int attempts, Duration outage) {}

    /**
     * The robust connection gave up: the credentials or the virtual host were refused, or the
     * policy's {@link RecoveryPolicy#withMaxAttempts(int) attempts} were used up. It is closed.
     *
     * @param lastFailure the last attempt's failure
     */
    default void recoveryFailed(ConnectFailedException lastFailure) {}

    /**
     * The broker blocked the connection (connection.blocked: a memory or disk alarm). It is not
     * lost: publishes wait for the unblock within their deadlines, and nothing is sent again.
     *
     * @param reason the broker's reason, e.g. {@code low on memory}
     */
    default void connectionBlocked(String reason) {}

    /** The broker unblocked the connection (connection.unblocked): publishing goes on. */
    default void connectionUnblocked() {}
}
