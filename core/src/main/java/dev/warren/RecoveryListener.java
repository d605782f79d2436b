package dev.warren;

import java.time.Duration;

/**
 * Told of every loss and recovery of a {@link RobustConnection}
 * ({@link RobustConnection#addListener(RecoveryListener)}). The methods run on the robust
 * connection's supervisor thread, one at a time and in order; a slow listener delays the next
 * reconnect attempt, and an exception one throws is logged and otherwise ignored.
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
}
