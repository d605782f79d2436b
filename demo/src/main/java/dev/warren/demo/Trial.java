package dev.warren.demo;

import dev.warren.BlockingChannel;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One prepared run of one side of a throughput row: opening it (connections, channels,
 * consumers) is not measured, {@link #run} is timed and charged the process CPU it used, and
 * {@link #close} releases what opening it took.
 *
 * <p>A fresh trial is opened for every warm-up and every measured run and closed after it, so a
 * side keeps no state between runs. The scenario owns the broker side (queues, prefilled
 * messages, the RPC server); the trial owns the connections it opens. Opening, running and
 * closing all happen on the harness's one platform thread, so what opening a trial makes is
 * owned by the thread that runs it (Warren's owner-only {@code join()} and {@code close()} work there).
 */
interface Trial extends AutoCloseable {

    /**
     * Does the scenario's work and returns how many operations completed: publishes the broker
     * confirmed, deliveries acked, or calls answered.
     *
     * <p>Time-bound scenarios (publish, rpc) start no new operation once {@link Window#expired()}
     * and return when those in flight have completed. Count-bound ones (consume) return when
     * their count is done. A publish or rpc side records every operation's latency in
     * {@link Window#latencies()}: a call from request to reply, a publish from just before it
     * is sent to its confirm (for Warren, the whole {@code publish} call, which returns confirmed).
     */
    long run(Window window) throws Exception;

    /** Closes what opening the trial opened; not measured. */
    @Override
    void close() throws Exception;

    /** One side of a throughput scenario: opens a trial at the row's count (threads, callers, prefetch). */
    @FunctionalInterface
    interface Opener {
        /** Opens what a run needs; nothing done here is measured. */
        Trial open(int count) throws Exception;
    }

    /** One blocking operation of a caller thread: a confirmed publish, or a call and its reply. */
    @FunctionalInterface
    interface Operation {
        /** Does the operation once; {@code caller} says which thread does it, from 0 to {@code threads - 1}. */
        void run(int caller) throws Exception;
    }

    /** A trial of some length, the broker set up around it by its scenario. */
    @FunctionalInterface
    interface OfLength {
        /** Runs one trial lasting {@code length} and returns what it measured. */
        Sample run(Duration length) throws Exception;
    }

    /**
     * The time a measured run may take, and where it records latencies. Sides poll
     * {@link #expired()} between operations; it costs one {@code System.nanoTime()}.
     *
     * @param deadlineNanos the {@code System.nanoTime()} value at which the window closes
     * @param latencies where a side records the latency of each operation; safe from any thread
     */
    record Window(long deadlineNanos, LatencyHistogram latencies) {
        /** A window that opens now and lasts {@code length}. */
        static Window startingNow(Duration length) {
            return new Window(System.nanoTime() + length.toNanos(), new LatencyHistogram());
        }

        /** Whether the deadline has passed: start no new operation then. */
        boolean expired() {
            return System.nanoTime() - deadlineNanos >= 0;
        }
    }

    /**
     * One measured run of a side: a warm-up trial of {@code --warmup} (none when it is zero),
     * then a measured one of {@code --seconds}, each set up afresh by {@code trial}.
     */
    static Callable<Sample> warmedUp(BenchOptions options, OfLength trial) {
        return () -> {
            if (!options.warmup().isZero()) {
                trial.run(options.warmup());
            }
            return trial.run(options.measured());
        };
    }

    /**
     * Opens a trial with {@code open}, measures its {@link #run} over a window of {@code length},
     * and closes it; opening and closing are not measured.
     *
     * @param helperCpuNanos CPU time of helpers in this JVM that are not the side's (read before
     *                       and after the run; the difference is subtracted)
     */
    static Sample measure(Callable<Trial> open, Duration length, LongSupplier helperCpuNanos) throws Exception {
        try (Trial trial = open.call()) {
            long cpuBefore = processCpuNanos() - helperCpuNanos.getAsLong();
            long start = System.nanoTime();
            Window window = Window.startingNow(length);
            long operations = trial.run(window);
            long elapsed = System.nanoTime() - start;
            long cpu = processCpuNanos() - helperCpuNanos.getAsLong() - cpuBefore;
            return Sample.throughput(operations, elapsed, cpu, window.latencies());
        }
    }

    /**
     * Warren's caller threads: {@code threads} virtual threads forked on {@code ch}, each timing
     * {@code operation} after another until the window expires, the way a user's own code does
     * it; returns how many completed. The first failure cancels the other threads, and the
     * channel's {@code join()} throws it.
     */
    static long forked(BlockingChannel ch, int threads, Window window, Operation operation) throws Exception {
        LongAdder done = new LongAdder();
        for (int t = 0; t < threads; t++) {
            int caller = t;
            ch.fork(() -> {
                LatencyHistogram latencies = window.latencies();
                while (!window.expired()) {
                    long t0 = System.nanoTime();
                    operation.run(caller);
                    latencies.record(System.nanoTime() - t0);
                    done.increment();
                }
                return null;
            });
        }
        ch.join();
        return done.sum();
    }

    /** CPU nanoseconds this process has used so far, all its threads together. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
