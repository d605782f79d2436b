package dev.warren;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Work} that a {@link RobustConnection} runs, and runs again on every new connection;
 * returned by {@link RobustConnection#supervise(Work)}. Thread-safe.
 *
 * <p>When the work ends, what it threw decides (its causes are followed, so a
 * {@link ClosedException} wrapped in an exception of the work's own counts as itself):
 *
 * <table>
 * <caption>What restarts a supervised work</caption>
 * <tr><th>the work ended with</th><th>then</th><th>{@link #join()}</th></tr>
 * <tr><td>a {@link ConnectionClosedException} (lost, or closed by the broker)</td>
 *     <td>restarted on the next connection, once one is open (the reconnect's backoff)</td><td>-</td></tr>
 * <tr><td>anything, after its connection was lost (a work blocked outside Warren's calls is
 *     interrupted when its connection goes, so that it ends)</td>
 *     <td>restarted on the next connection</td><td>-</td></tr>
 * <tr><td>a {@link ChannelClosedException} the broker initiated, but 403, 405, 406 (e.g. 404
 *     NOT_FOUND; 541 INTERNAL_ERROR during a failover)</td>
 *     <td>restarted; on a connection that stays open after the policy's backoff, growing with each
 *     quick restart</td><td>-</td></tr>
 * <tr><td>a {@link ChannelClosedException} of Warren's own, reply code 0 (an operation that got no
 *     reply within the operation timeout, e.g. a slow declare during a failover)</td>
 *     <td>restarted, as above</td><td>-</td></tr>
 * <tr><td>a {@link ConsumerCancelledException} (its queue was deleted)</td><td>restarted, as above</td>
 *     <td>-</td></tr>
 * <tr><td>a {@link ChannelClosedException} 403 ACCESS_REFUSED, 405 RESOURCE_LOCKED (an exclusive
 *     queue held by another connection), 406 PRECONDITION_FAILED (a declare that does not match):
 *     permanent, the next run would get it again</td><td>ended</td>
 *     <td>throws {@link SubtaskFailedException}, cause the exception</td></tr>
 * <tr><td>a {@link ChannelClosedException} 200 (a channel the work itself closed), or any other
 *     exception or error (a bug)</td><td>ended</td>
 *     <td>throws {@link SubtaskFailedException}, cause the exception</td></tr>
 * <tr><td>nothing: it returned</td><td>ended</td><td>returns</td></tr>
 * <tr><td>anything, while this Supervised or its robust connection is being closed</td><td>ended</td>
 *     <td>returns</td></tr>
 * <tr><td>- (the robust connection gave up, or its supervisor failed)</td><td>ended</td>
 *     <td>throws that {@link ConnectionClosedException} (cause: the last {@link ConnectFailedException})</td></tr>
 * </table>
 */
public final class Supervised implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervised.class);
    private static final AtomicInteger WORKS = new AtomicInteger();

    private final RobustConnection owner;
    private final Work work;
    private final String name;
    private final Thread thread;
    private final AtomicInteger restarts = new AtomicInteger();
    /** Completed when the work ends for good: normally, or with what {@link #join()} throws. */
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile boolean closing;
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    /** The connection the current run was given, while it runs; guarded by {@link #lock}. */
    private BlockingConnection running;
    /** Whether the current run was interrupted because its connection was lost; guarded by {@link #lock}. */
    private boolean interruptedForLoss;

    Supervised(RobustConnection owner, Work work, String connectionName) {
        this.owner = owner;
        this.work = work;
        this.name = connectionName + "-work-" + WORKS.incrementAndGet();
        this.thread = Thread.ofVirtual().name("warren-" + name).unstarted(this::runAll);
    }

    void start() {
        thread.start();
    }

    /**
     * Waits until the work has ended for good.
     *
     * @throws SubtaskFailedException when the work threw something that does not restart it:
     *         that is the cause
     * @throws ConnectionClosedException when the robust connection gave up (its cause is the
     *         last {@link ConnectFailedException})
     * @throws InterruptedException when interrupted while waiting; the work goes on
     */
    public void join() throws InterruptedException {
        try {
            done.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ClosedException closed) {
                throw closed.forCaller();
            }
            throw (RuntimeException) c;
        }
    }

    /**
     * Whether the work has ended for good (returned, failed, or was closed).
     *
     * @return true once the work will not run again, so that {@link #join()} returns or throws at once
     */
    public boolean isDone() {
        return done.isDone();
    }

    /**
     * How many times the work was started again after a loss or a broker-closed channel.
     *
     * @return the number of restarts so far; 0 if the work has run only once
     */
    public int restarts() {
        return restarts.get();
    }

    /**
     * Cancels the work (interrupts its thread: a blocked Warren call then throws
     * {@link InterruptedException}) and waits for it to end; it is not restarted, and
     * {@link #join()} then returns normally. Idempotent. When interrupted meanwhile it finishes
     * anyway and keeps the interrupt status set.
     *
     * @throws WrongThreadException when called from the work itself (it would wait for itself)
     */
    @Override
    public void close() {
        if (isWorkThread()) {
            throw new WrongThreadException("a supervised work cannot close itself: return from it instead");
        }
        closing = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(TimeUnit.MILLISECONDS.toMillis(100));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        done.complete(null);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    boolean isWorkThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public String toString() {
        return "Supervised[" + name + ", restarts=" + restarts.get() + (done.isDone() ? ", done" : "") + "]";
    }

    private void runAll() {
        try {
            int quickRestarts = 0;
            while (!closing) {
                BlockingConnection c = owner.connectionForWork();
                if (c == null) {
                    break;
                }
                long started = System.nanoTime();
                Throwable failure = null;
                begin(c);
                try {
                    work.run(c);
                } catch (Throwable e) {
                    failure = e;
                }
                boolean lost = finish() || !c.isOpen();
                if (failure == null) {
                    break;
                }
                if (closing || owner.isClosed() || !restarts(failure, lost)) {
                    end(failure);
                    return;
                }
                restarts.incrementAndGet();
                LOG.info("supervised work {} restarts: {}", name, failure.toString());
                quickRestarts = lost ? 0 : backOffIfQuick(c, started, quickRestarts);
            }
            done.complete(null);
        } catch (ConnectionClosedException | InterruptedException e) {
            end(e); // waiting for a connection: closed, or the robust connection gave up
        } finally {
            owner.ended(this);
        }
    }

    /** A run starts on {@code c}. */
    private void begin(BlockingConnection c) {
        lock.lock();
        try {
            running = c;
            interruptedForLoss = false;
        } finally {
            lock.unlock();
        }
    }

    /** A run ended: returns whether it was interrupted because its connection was lost (that interrupt is cleared). */
    private boolean finish() {
        boolean lost;
        lock.lock();
        try {
            running = null;
            lost = interruptedForLoss;
        } finally {
            lock.unlock();
        }
        if (lost && !closing) {
            Thread.interrupted(); // ours, not the application's: the next run starts clean
        }
        return lost;
    }

    /**
     * For the robust connection when {@code c} is lost: a run on it that is blocked outside
     * Warren's calls (which fail by themselves) must end, so that it runs again.
     */
    void connectionLost(BlockingConnection c) {
        lock.lock();
        try {
            if (running == c) {
                interruptedForLoss = true;
                thread.interrupt();
            }
        } finally {
            lock.unlock();
        }
    }

    /** For the robust connection when it gives up: a work busy with something else must notice. */
    void interrupt() {
        thread.interrupt();
    }

    /**
     * A failure that repeats at once (e.g. a declare the broker refuses) must not spin: quick
     * restarts on a connection that is still open wait the policy's backoff. Returns the new
     * count of consecutive quick restarts.
     */
    private int backOffIfQuick(BlockingConnection c, long started, int quickRestarts) {
        boolean quick = System.nanoTime() - started < owner.policy().max().toNanos();
        int n = quick ? quickRestarts + 1 : 0;
        if (c.isOpen() && n > 0) {
            LockSupport.parkNanos(owner.policy().delayBefore(n).toNanos());
        }
        return n;
    }

    /** Reply codes of a channel close that the next run would get again. */
    private static final java.util.Set<Integer> PERMANENT = java.util.Set.of(403, 405, 406);

    /** Whether a run that ended with {@code failure} restarts (see the table in the class comment). */
    static boolean restarts(Throwable failure, boolean connectionLost) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause() == t ? null : t.getCause(), depth++) {
            if (t instanceof ConnectionClosedException || t instanceof ConsumerCancelledException) {
                return true;
            }
            if (t instanceof ChannelClosedException c) {
                if (c.initiatedByBroker()) {
                    return !PERMANENT.contains(c.replyCode());
                }
                // Warren's own abort (an operation timeout) is passing; 200 is the work's own close.
                return c.replyCode() != 200 || connectionLost;
            }
        }
        return connectionLost;
    }

    /** Ends for good after {@code failure}: quietly when closed, with the give-up, or as a bug of the work. */
    private void end(Throwable failure) {
        ConnectionClosedException gaveUp = owner.gaveUp();
        if (closing || (owner.isClosed() && gaveUp == null)) {
            done.complete(null);
        } else if (gaveUp != null) {
            done.completeExceptionally(gaveUp);
        } else {
            LOG.error("supervised work {} failed and is not restarted", name, failure);
            done.completeExceptionally(new SubtaskFailedException(failure));
        }
    }
}
