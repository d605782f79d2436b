package dev.warren.internal;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * amqp-client's consumer "executor" for Warren's connections: it runs each batch of consumer
 * callbacks on the thread that hands it over, which for deliveries and replies is the
 * connection's reader thread.
 *
 * <p>amqp-client normally runs consumer callbacks on a pool of its own so that a slow callback
 * cannot stall the reader. Warren's callbacks cannot be slow: they only put a delivery in a
 * buffer, complete a one-shot latch or a future, and wake the virtual thread waiting for it
 * (the rule that amqp-client's threads never block in Warren's code). A pool would cost every
 * delivery and every reply a second thread wake-up before the waiter's own, which measured as
 * a tenth of the request/reply throughput. amqp-client still keeps each channel's callbacks in
 * order and one at a time: its work pool, not this executor, does that.
 *
 * <p>amqp-client never shuts down an executor it was given, and this one owns no thread, so
 * {@link #shutdown()} has nothing to do.
 */
final class InlineDispatch extends AbstractExecutorService {
    static final InlineDispatch INSTANCE = new InlineDispatch();

    private InlineDispatch() {
    }

    @Override
    public void execute(Runnable batch) {
        batch.run();
    }

    /** Nothing to stop: shared by every connection, and owns no thread. */
    @Override
    public void shutdown() {
    }

    @Override
    public List<Runnable> shutdownNow() {
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return false;
    }
}
