package dev.warren.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The caller threads of the alternatives to Warren: {@code threads} threads of one kind, each
 * timing one blocking operation after another until the window expires, the way a user's own
 * code does it. Warren's own side uses its channel's {@code fork} instead.
 */
final class Loops {
    private Loops() {
    }

    /** One blocking operation of a caller thread: a confirmed publish, or a call and its reply. */
    @FunctionalInterface
    interface Operation {
        /**
         * Does the operation once.
         *
         * @param caller which thread does it, from 0 to {@code threads - 1}
         */
        void run(int caller) throws Exception;
    }

    /**
     * Runs {@code threads} threads from {@code factory}, each repeating {@code operation} and
     * recording its latency, and returns how many completed. The first failure stops every
     * thread (they are interrupted) and is thrown once all have ended.
     */
    static long run(int threads, ThreadFactory factory, Window window, Operation operation) throws Exception {
        LongAdder done = new LongAdder();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            int caller = t;
            Thread thread = factory.newThread(() -> {
                LatencyHistogram latencies = window.latencies();
                try {
                    while (!window.expired() && failure.get() == null) {
                        long t0 = System.nanoTime();
                        operation.run(caller);
                        latencies.record(System.nanoTime() - t0);
                        done.increment();
                    }
                } catch (Exception e) {
                    if (failure.compareAndSet(null, e)) {
                        started.forEach(Thread::interrupt);
                    }
                }
            });
            started.add(thread);
        }
        started.forEach(Thread::start);
        for (Thread thread : started) {
            thread.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return done.sum();
    }
}
