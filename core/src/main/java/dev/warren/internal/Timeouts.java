package dev.warren.internal;

import java.util.Collection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Ends the waits of one kind on one channel (its calls waiting for replies, or its publishes
 * waiting for confirms) at their deadlines, from a single virtual thread, so that a waiter parks
 * without a timer of its own.
 *
 * <p>A timed park costs a virtual thread a timer task that is scheduled, then cancelled when the
 * outcome comes first; the JDK hands both to its timer thread, and at thousands of waits per
 * second that hand-off was a fifth of the client's CPU. Here a waiter only reads one volatile
 * field: the thread sleeps until the earliest deadline it knows of, then expires every wait
 * whose deadline has passed, and a waiter need wake it only when its own deadline is earlier.
 * When every wait uses the same timeout (the common case), deadlines come in order and no waiter
 * ever wakes it: it wakes about once per timeout, scans the waits still pending, and sleeps again.
 */
final class Timeouts {
    /** {@link #target}: no wait to expire; sleep until woken. */
    private static final long NONE = Long.MIN_VALUE;
    /** {@link #target}: a scan runs; a wait registering now must hand its deadline to the scan. */
    private static final long SCANNING = Long.MIN_VALUE + 1;

    private final Collection<? extends OneShot> waits;
    private final Thread thread;
    private final AtomicBoolean started = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock();
    /** When the thread will look next (a {@link System#nanoTime()} value), or a marker above. */
    private volatile long target = NONE;
    /** Guarded by lock: whether a scan runs. */
    private boolean scanning;
    /** Guarded by lock: the earliest deadline registered during the running scan, or NONE. */
    private long earliest = NONE;
    private volatile boolean stopped;

    /**
     * @param waits the pending waits, as a live view (weakly consistent iteration); each one's
     *        {@link OneShot#deadline} is when to expire it
     * @param name the thread's name
     */
    Timeouts(Collection<? extends OneShot> waits, String name) {
        this.waits = waits;
        this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
    }

    /** Starts the thread unless it was started already; after {@link #stop()} it ends at once. */
    void start() {
        if (!started.get() && started.compareAndSet(false, true)) {
            thread.start();
        }
    }

    /**
     * Makes sure a wait ends no later than {@code deadline}; the wait must already be in the
     * collection. Never blocks for longer than a scan's bookkeeping.
     */
    void register(long deadline) {
        long t = target;
        if (t != NONE && t != SCANNING && deadline - t >= 0) {
            return;
        }
        boolean wake = false;
        lock.lock();
        try {
            if (scanning) {
                earliest = earlier(earliest, deadline);
            } else if (target == NONE || deadline - target < 0) {
                target = deadline;
                wake = true;
            }
        } finally {
            lock.unlock();
        }
        if (wake) {
            LockSupport.unpark(thread);
        }
    }

    /** Ends the thread (the channel closed: its waits were failed). Never blocks. */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
    }

    /** The thread (for tests). */
    Thread thread() {
        return thread;
    }

    /**
     * The deadline {@code nanos} from now ({@link System#nanoTime()}), moved by a nanosecond or
     * two where it would read as 0 ("no deadline" to {@link OneShot} and the Publisher) or as
     * one of this class's markers.
     */
    static long deadlineIn(long nanos) {
        long d = System.nanoTime() + nanos;
        return d == 0 || d == NONE || d == SCANNING ? SCANNING + 1 : d;
    }

    private void run() {
        while (!stopped) {
            lock.lock();
            try {
                scanning = true;
                earliest = NONE;
                target = SCANNING;
            } finally {
                lock.unlock();
            }
            // A wait registered before the marker was set is in the collection, so the scan sees
            // it; one registered after it saw the marker and handed its deadline over.
            long now = System.nanoTime();
            long next = NONE;
            for (OneShot c : waits) {
                if (c.isDone()) {
                    continue;
                }
                if (c.deadline - now <= 0) {
                    c.expire();
                } else {
                    next = earlier(next, c.deadline);
                }
            }
            long t;
            lock.lock();
            try {
                scanning = false;
                t = earlier(next, earliest);
                target = t;
            } finally {
                lock.unlock();
            }
            if (stopped) {
                return;
            }
            if (t == NONE) {
                LockSupport.park(this);
            } else {
                long left = t - System.nanoTime();
                if (left > 0) {
                    LockSupport.parkNanos(this, left);
                }
            }
            // Interrupts are not for this thread (nobody but the JDK could send one): clear it so
            // that park does not spin.
            Thread.interrupted();
        }
    }

    private static long earlier(long a, long b) {
        if (a == NONE) {
            return b;
        }
        if (b == NONE) {
            return a;
        }
        return a - b <= 0 ? a : b;
    }
}
