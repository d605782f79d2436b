package dev.warren.demo;

import java.time.Duration;

/**
 * The time a measured run may take, and where it records latencies.
 *
 * <p>Contenders poll {@link #expired()} between operations; it costs one {@code System.nanoTime()}.
 */
public final class Window {
    private final long deadlineNanos;
    private final LatencyHistogram latencies = new LatencyHistogram();

    private Window(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** A window that opens now and lasts {@code length}. */
    static Window startingNow(Duration length) {
        return new Window(System.nanoTime() + length.toNanos());
    }

    /** Whether the deadline has passed: start no new operation then. */
    public boolean expired() {
        return System.nanoTime() - deadlineNanos >= 0;
    }

    /** The {@code System.nanoTime()} value at which the window closes. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Where a contender records the latency of each operation; safe from any thread. */
    public LatencyHistogram latencies() {
        return latencies;
    }
}
