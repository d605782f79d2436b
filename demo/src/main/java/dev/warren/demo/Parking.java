package dev.warren.demo;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeoutException;

/** Tells when threads have got as far as blocking, without sleeping a guessed time. */
public final class Parking {
    private Parking() {
    }

    /**
     * Returns once every thread is {@code WAITING} or {@code TIMED_WAITING}, which for a
     * virtual thread means parked (and unmounted from its carrier).
     *
     * <p>A thread that parks briefly on its way (a lock, a synchronous AMQP method) can be
     * caught there; call this once the threads can only block in the call under test, for
     * example after each has counted down a latch just before making it.
     *
     * @throws TimeoutException when some have not parked within {@code timeout}
     */
    public static void awaitParked(Collection<Thread> threads, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long running = threads.stream().filter(t -> !parked(t)).count();
            if (running == 0) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new TimeoutException(running + " of " + threads.size() + " threads did not park within " + timeout);
            }
            Thread.sleep(10);
        }
    }

    private static boolean parked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }
}
