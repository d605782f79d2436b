package dev.warren.demo;

/**
 * One run of the waiters scenario.
 *
 * @param waiters how many virtual threads were parked
 * @param heapBytesPerWaiter settled heap growth while they were parked, divided by their number
 * @param wakeAllNanos from provoking the channel close until the last waiter woke
 * @param wokenByClose how many woke with Warren's {@code ClosedException}
 */
record WaiterSample(int waiters, double heapBytesPerWaiter, long wakeAllNanos, long wokenByClose)
        implements Measurement {

    @Override
    public String brief() {
        return String.format("%,.0f heap bytes/waiter  all %,d woke in %,.1f ms  (%,d by ClosedException)",
                heapBytesPerWaiter, waiters, wakeAllNanos / 1e6, wokenByClose);
    }
}
