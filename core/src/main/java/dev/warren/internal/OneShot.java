package dev.warren.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A one-shot latch with an outcome, for the two waits that happen once per message: a publish
 * waiting for its confirm and a call waiting for its reply. Lighter than a
 * {@code CompletableFuture} (no completion stack, no signaller object), because the completing
 * side is amqp-client's reader thread, thousands of times per second.
 */
abstract class OneShot {
    private static final VarHandle OUTCOME;
    private static final VarHandle WAITER;

    static {
        try {
            OUTCOME = MethodHandles.lookup().findVarHandle(OneShot.class, "outcome", Object.class);
            WAITER = MethodHandles.lookup().findVarHandle(OneShot.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The outcome of a wait whose deadline passed first, set by {@link Timeouts}. */
    static final Object TIMED_OUT = new Object();

    /** When a {@link Timeouts} thread that watches this wait ends it ({@link System#nanoTime()}), or 0. */
    final long deadline;
    private volatile Object outcome;
    private volatile Thread waiter;

    /** @param deadline see {@link #deadline} */
    OneShot(long deadline) {
        this.deadline = deadline;
    }

    /** Sets the outcome if none is set; wakes the waiter. Never blocks. */
    boolean complete(Object result) {
        if (OUTCOME.compareAndSet(this, null, result)) {
            // Before the wake-up, so that what it does (a freed slot) is seen by the waiter.
            completed(result);
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
            return true;
        }
        return false;
    }

    /** Called once, on the completing thread, after the outcome was set and before the waiter wakes; must not block. */
    void completed(Object result) {
    }

    /** Whether the outcome is set. */
    public boolean isDone() {
        return outcome != null;
    }

    /** The outcome, or null while there is none. */
    Object outcome() {
        return outcome;
    }

    /** Ends the wait as {@link #TIMED_OUT}, unless an outcome came first (which then stays). */
    void expire() {
        complete(TIMED_OUT);
    }

    /**
     * Waits for the outcome until {@code deadline} ({@link System#nanoTime()}; 0 for none).
     *
     * @return the outcome, or null when the deadline passed first
     * @throws IllegalStateException when another thread waits already (one waiter is all that
     *         {@link #complete} wakes)
     * @throws InterruptedException when interrupted first
     */
    Object await(long deadline) throws InterruptedException {
        Object o = outcome;
        if (o != null) {
            return o;
        }
        if (!WAITER.compareAndSet(this, null, Thread.currentThread())) {
            throw new IllegalStateException("another thread is waiting for this outcome already");
        }
        try {
            while ((o = outcome) == null) {
                if (Thread.currentThread().isInterrupted() && Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (deadline == 0) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    LockSupport.parkNanos(this, left);
                }
            }
            return o;
        } finally {
            waiter = null;
        }
    }
}
