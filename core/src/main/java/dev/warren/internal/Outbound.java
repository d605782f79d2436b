package dev.warren.internal;

import java.io.IOException;

/**
 * Something a channel sends: a publish, an ack or nack, a synchronous method. Callers hand it to
 * their channel ({@link ChannelContext#send}); only the connection's {@link Writer} writes it.
 */
interface Outbound {
    /**
     * Writes the frames, on the writer thread. Must not block except in the socket write, and
     * must not wait for the broker.
     *
     * @throws IOException when the socket fails (the connection is going)
     */
    void write() throws IOException;

    /**
     * It will not be written, or its write failed: the channel closed, the connection failed,
     * or amqp-client refused it. Never blocks; may run on any thread, at most once per item
     * unless the item tolerates more (a completed latch ignores a second outcome).
     */
    void abandon(Throwable cause);
}
