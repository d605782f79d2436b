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
 * <p>Restarted, from the work's start: when the work ends with a {@link ConnectionClosedException}
 * (the connection was lost or closed by the broker), with a {@link ChannelClosedException} the
 * broker initiated (a channel error such as 404), or with a {@link ConsumerCancelledException}
 * (the broker cancelled a subscription, typically because its queue was deleted: the next run
 * declares it again). Not restarted: the work returned; it threw anything else (a bug, an
 * {@link IllegalStateException}, a channel the application closed); the Supervised or the
 * robust connection was closed; the robust connection gave up.
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
                try {
                    work.run(c);
                    break;
                } catch (ClosedException | ConsumerCancelledException e) {
                    if (closing || owner.isClosed() || !restarts(e)) {
                        end(e);
                        return;
                    }
                    restarts.incrementAndGet();
                    LOG.info("supervised work {} restarts: {}", name, e.getMessage());
                    quickRestarts = backOffIfQuick(c, started, quickRestarts);
                } catch (Exception | Error e) {
                    end(e);
                    return;
                }
            }
            done.complete(null);
        } catch (ConnectionClosedException | InterruptedException e) {
            end(e); // waiting for a connection: closed, or the robust connection gave up
        } finally {
            owner.ended(this);
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

    /** Restarted: a lost connection, or a channel the broker closed; not a channel the application closed. */
    private static boolean restarts(WarrenException e) {
        return e instanceof ConnectionClosedException || e instanceof ConsumerCancelledException
                || (e instanceof ChannelClosedException c && c.initiatedByBroker());
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
