package dev.warren.internal;

import dev.warren.ClosedException;
import dev.warren.Subtask;
import dev.warren.SubtaskFailedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A channel's structured-concurrency scope: the virtual threads forked on it, cancellation by
 * interrupt, and the wait for all of them to finish. The JDK's {@code StructuredTaskScope} is a
 * preview API on Java 21 that changed shape later, so this copies its semantics, not its API.
 */
public final class Scope {
    private static final AtomicInteger LIVE_THREADS = new AtomicInteger();

    private final String name;
    private final Thread owner;
    private final Set<Task<?>> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger liveCount = new AtomicInteger();
    private final AtomicLong forked = new AtomicLong();
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    /** The first failure since the last join, and the ones after it that were not cancellations. */
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private final List<Throwable> laterFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean cancelled;
    private volatile boolean shut;

    /** A scope owned by the calling thread. */
    public Scope(String name) {
        this.name = name;
        this.owner = Thread.currentThread();
    }

    /** The thread that opened the channel. */
    public Thread owner() {
        return owner;
    }

    /**
     * Checks that the calling thread may start subtasks here: the owner, or one of the scope's
     * own subtasks.
     *
     * @throws WrongThreadException naming what was attempted
     */
    public void ensureMayFork(String what) {
        if (Thread.currentThread() != owner && !isSubtaskThread()) {
            throw new WrongThreadException("only the channel's owner (" + owner + ") and its subtasks may " + what);
        }
    }

    /** Subtask threads alive in the whole JVM, for leak checks. */
    public static int liveThreads() {
        return LIVE_THREADS.get();
    }

    /** Subtasks of this scope still running. */
    public int liveCount() {
        return liveCount.get();
    }

    /**
     * Whether the subtasks were cancelled (the channel closed, or a subtask failed and
     * {@code join} has not reported it yet): what forks now starts interrupted.
     */
    public boolean isCancelled() {
        return cancelled;
    }

    /** Whether the current thread is one of this scope's subtasks. */
    public boolean isSubtaskThread() {
        Task<?> t = TASKS.get(Thread.currentThread());
        return t != null && t.scope() == this;
    }

    /**
     * The subtask each running subtask thread runs. Not a ThreadLocal: {@code ThreadLocal.get()}
     * gives every thread that asks a map of its own, about 200 bytes that stay with the thread,
     * which counts when 100000 virtual threads wait.
     */
    private static final ConcurrentHashMap<Thread, Task<?>> TASKS = new ConcurrentHashMap<>();

    /**
     * Starts {@code task} in a new virtual thread of this scope.
     *
     * @throws IllegalStateException when the scope no longer accepts subtasks
     */
    public <T> Subtask<T> fork(Callable<? extends T> task) {
        if (shut) {
            throw new IllegalStateException(name + " is closed; it accepts no more subtasks");
        }
        Task<T> t = new Task<>(task);
        Thread thread = Thread.ofVirtual().name(name + "-subtask-" + forked.incrementAndGet())
                .unstarted(t::run);
        t.thread = thread;
        liveCount.incrementAndGet();
        live.add(t);
        LIVE_THREADS.incrementAndGet();
        thread.start();
        // Written first, read second: either cancelAll() sees the task, or the task sees the flag.
        if (cancelled || shut) {
            t.cancel();
        }
        return t;
    }

    /** Interrupts every running subtask. Never blocks; callable from amqp-client's threads. */
    public void cancelAll() {
        cancelled = true;
        for (Task<?> t : live) {
            t.cancel();
        }
    }

    /** Stops accepting subtasks and cancels those that run. */
    public void shutdown() {
        shut = true;
        cancelAll();
    }

    /**
     * Waits until no subtask runs.
     *
     * @throws InterruptedException when interrupted while waiting (the subtasks go on)
     */
    public void awaitIdle() throws InterruptedException {
        idleLock.lock();
        try {
            while (liveCount.get() > 0) {
                idle.await();
            }
        } finally {
            idleLock.unlock();
        }
    }

    /** As {@link #awaitIdle()}, ignoring interrupts until done, then restoring the status. */
    public void awaitIdleUninterruptibly() {
        idleLock.lock();
        try {
            while (liveCount.get() > 0) {
                idle.awaitUninterruptibly();
            }
        } finally {
            idleLock.unlock();
        }
    }

    /**
     * After {@link #awaitIdle()}: throws the first failure since the last call as a
     * {@link SubtaskFailedException}, and makes the scope ready for new subtasks.
     */
    public void throwFailure() {
        Throwable first = firstFailure.getAndSet(null);
        List<Throwable> later = new ArrayList<>(laterFailures);
        laterFailures.clear();
        if (!shut) {
            cancelled = false;
        }
        if (first != null) {
            SubtaskFailedException e = new SubtaskFailedException(first);
            later.forEach(e::addSuppressed);
            throw e;
        }
    }

    private void finished(Task<?> t, Throwable failure) {
        // A subtask that ends because it was cancelled did not fail: it is no cause to report.
        if (failure != null && !isCancellation(failure)) {
            if (firstFailure.compareAndSet(null, failure)) {
                cancelAll();
            } else {
                laterFailures.add(failure);
            }
        }
        live.remove(t);
        LIVE_THREADS.decrementAndGet();
        if (liveCount.decrementAndGet() == 0) {
            idleLock.lock();
            try {
                idle.signalAll();
            } finally {
                idleLock.unlock();
            }
        }
    }

    private boolean isCancellation(Throwable failure) {
        // CancellationException: a subtask that stopped because its siblings were cancelled
        // (Subscription.handle says so with it) is no failure of its own.
        return cancelled && (failure instanceof InterruptedException || failure instanceof ClosedException
                || failure instanceof java.util.concurrent.CancellationException);
    }

    private final class Task<T> implements Subtask<T> {
        private final Callable<? extends T> callable;
        volatile Thread thread;
        private final java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile State state = State.UNAVAILABLE;
        private volatile T result;
        private volatile Throwable exception;

        Task(Callable<? extends T> callable) {
            this.callable = callable;
        }

        Scope scope() {
            return Scope.this;
        }

        /**
         * Interrupts the subtask once. Never blocks. Safe at any moment: a subtask never writes
         * to the socket itself (its frames go to the connection's writer).
         */
        void cancel() {
            if (interrupted.compareAndSet(false, true)) {
                thread.interrupt();
            }
        }

        void run() {
            TASKS.put(thread, this);
            Throwable failure = null;
            try {
                result = callable.call();
                state = State.SUCCESS;
            } catch (Throwable e) {
                failure = e;
                exception = e;
                state = State.FAILED;
            } finally {
                TASKS.remove(thread);
                finished(this, failure);
            }
        }

        @Override
        public State state() {
            return state;
        }

        @Override
        public T get() {
            if (state != State.SUCCESS) {
                throw new IllegalStateException("subtask state is " + state + ", not SUCCESS");
            }
            return result;
        }

        @Override
        public Throwable exception() {
            if (state != State.FAILED) {
                throw new IllegalStateException("subtask state is " + state + ", not FAILED");
            }
            return exception;
        }

        @Override
        public String toString() {
            return "Subtask[" + state + "]";
        }
    }
}
