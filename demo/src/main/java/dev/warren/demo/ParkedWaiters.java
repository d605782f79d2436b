package dev.warren.demo;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/** The virtual threads a {@link WaitersContender} parked, and how to wake them the hard way. */
public interface ParkedWaiters extends AutoCloseable {

    /**
     * Makes the broker close the channel(s) the waiters are blocked on, and returns without
     * waiting for them: for example a passive declare of a queue that does not exist, which
     * the broker answers with channel.close 404 NOT_FOUND.
     */
    void provokeClose() throws Exception;

    /**
     * Waits until every waiter has returned or thrown.
     *
     * @param timeout how long to wait at most
     * @return how many waiters ended with Warren's {@code ClosedException}, as they all should
     * @throws TimeoutException when some are still blocked after {@code timeout}
     */
    long awaitAllWoken(Duration timeout) throws InterruptedException, TimeoutException;

    /** Releases whatever is left: threads, channels, the connection. */
    @Override
    void close() throws Exception;
}
