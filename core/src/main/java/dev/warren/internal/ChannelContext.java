package dev.warren.internal;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.ChannelClosedException;
import dev.warren.ClosedException;
import dev.warren.WarrenException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The bridge between one amqp-client channel and the threads that wait on it.
 *
 * <p>Every wait is on a {@link CompletableFuture} registered here first, so that the close
 * callback, running on amqp-client's thread, can fail every waiter without blocking. The close
 * is recorded once ({@link #shutdown}); registrations and the close race safely because each
 * side writes first and reads the other's write second.
 */
public final class ChannelContext {
    /** Permits released on close so that every caller queued for the slot wakes up and fails. */
    private static final int FLUSH_PERMITS = Integer.MAX_VALUE / 2;

    private final Channel raw;
    private final String connectionName;
    private final AtomicReference<ClosedException> closed = new AtomicReference<>();
    private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Consumer<ClosedException>> closeHooks = new ConcurrentLinkedQueue<>();
    /** The FIFO slot for synchronous AMQP methods: a permit, so the reply callback can free it. */
    private final Semaphore slot = new Semaphore(1, true);

    public ChannelContext(Channel raw, String connectionName) {
        this.raw = raw;
        this.connectionName = connectionName;
        raw.addShutdownListener(this::onShutdownSignal);
        if (!raw.isOpen()) {
            // Closed before the listener was added: amqp-client will not call it any more.
            ShutdownSignalException s = raw.getCloseReason();
            if (s != null) {
                onShutdownSignal(s);
            }
        }
    }

    /** The amqp-client channel. */
    public Channel raw() {
        return raw;
    }

    /** The channel number on its connection. */
    public int number() {
        return raw.getChannelNumber();
    }

    /** The connection's client-provided name, or null. */
    public String connectionName() {
        return connectionName;
    }

    /** The recorded close, or null while the channel is open. */
    public ClosedException closedCause() {
        return closed.get();
    }

    /** Throws the recorded close, as a copy for this caller, if there is one. */
    public void ensureOpen() {
        ClosedException c = closed.get();
        if (c != null) {
            throw c.forCaller();
        }
    }

    /**
     * Runs {@code hook} once when the channel closes, on the thread that closes it (often
     * amqp-client's; the hook must not block), or at once if it is closed already.
     */
    public void onClose(Consumer<ClosedException> hook) {
        closeHooks.add(hook);
        ClosedException c = closed.get();
        if (c != null && closeHooks.remove(hook)) {
            hook.accept(c);
        }
    }

    private void onShutdownSignal(ShutdownSignalException s) {
        shutdown(Closes.from(s, raw.getChannelNumber(), connectionName));
    }

    /**
     * Records the close, once, then fails every pending operation, frees the slot for every
     * queued caller and runs the close hooks. Never blocks.
     *
     * @return whether this call recorded it (false if the channel was closed already)
     */
    public boolean shutdown(ClosedException cause) {
        if (!closed.compareAndSet(null, cause)) {
            return false;
        }
        for (CompletableFuture<?> f : pending) {
            f.completeExceptionally(cause);
        }
        slot.release(FLUSH_PERMITS);
        Consumer<ClosedException> hook;
        while ((hook = closeHooks.poll()) != null) {
            hook.accept(cause);
        }
        return true;
    }

    /** How many operations are waiting on this channel right now (for tests and diagnostics). */
    public int pendingCount() {
        return pending.size();
    }

    /**
     * Waits for {@code f}, which the close fails too.
     *
     * @throws ClosedException when the channel closed first (also when this thread was
     *         interrupted because of the close; its interrupt status is then set again)
     * @throws InterruptedException when interrupted while the channel is open
     */
    public <T> T await(CompletableFuture<T> f) throws InterruptedException {
        try {
            return awaitUpTo(f, -1);
        } catch (TimeoutException e) {
            throw new IllegalStateException("an untimed wait timed out", e);
        }
    }

    /**
     * As {@link #await(CompletableFuture)}, up to a timeout.
     *
     * @throws TimeoutException when the time ran out; {@code f} is left as it is
     */
    public <T> T await(CompletableFuture<T> f, long timeout, TimeUnit unit)
            throws InterruptedException, TimeoutException {
        return awaitUpTo(f, Math.max(0, unit.toNanos(timeout)));
    }

    /** Registers {@code f} as pending and waits for it, at most {@code nanos} (negative: no limit). */
    private <T> T awaitUpTo(CompletableFuture<T> f, long nanos) throws InterruptedException, TimeoutException {
        pending.add(f);
        try {
            ClosedException c = closed.get();
            if (c != null) {
                f.completeExceptionally(c);
            }
            return nanos < 0 ? f.get() : f.get(nanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (InterruptedException e) {
            return valueOr(f, e);
        } finally {
            pending.remove(f);
        }
    }

    /**
     * For an interrupted wait: the value if {@code f} completed normally all the same (the
     * interrupt, often the close's, came after it; the interrupt status is set again), else
     * {@link #closedOr}.
     */
    private <T> T valueOr(CompletableFuture<T> f, InterruptedException e) throws InterruptedException {
        if (f.isDone() && !f.isCompletedExceptionally()) {
            Thread.currentThread().interrupt();
            return f.join();
        }
        throw closedOr(e);
    }

    /**
     * The exception to throw for an interrupt: the close if the channel is closed (restoring the
     * interrupt status, since the interrupt is not reported by the exception), else the
     * interrupt itself.
     */
    public InterruptedException closedOr(InterruptedException e) {
        ClosedException c = closed.get();
        if (c != null) {
            Thread.currentThread().interrupt();
            throw c.forCaller();
        }
        return e;
    }

    /**
     * Issues a synchronous AMQP method and waits for its reply. Callers queue in FIFO order for
     * the channel's slot; the slot is freed when the reply or the close arrives, even if the
     * caller stopped waiting, so the channel never gets out of step with the broker.
     *
     * @throws ClosedException when the channel closes before the reply (for the method that
     *         caused it and for every caller queued behind it)
     * @throws InterruptedException when interrupted while queued (nothing was sent) or while
     *         waiting for the reply (the method was sent; its reply is consumed and dropped)
     */
    public Command rpc(Method method) throws InterruptedException {
        CompletableFuture<Command> reply = startRpc(method);
        return await(reply);
    }

    /**
     * Runs one of amqp-client's own blocking synchronous methods (those that keep client-side
     * bookkeeping, such as basic.consume and basic.cancel) in the slot, mapping its failures.
     * amqp-client's wait cannot be interrupted; it ends with the reply or the close.
     */
    public <T> T rawRpc(IoCall<T> call) throws InterruptedException {
        acquireSlot();
        try {
            return Scope.shielded(call);
        } catch (IOException | ShutdownSignalException e) {
            throw translate(e);
        } finally {
            slot.release();
        }
    }

    /**
     * Takes the slot and issues {@code method}, returning its reply future (which frees the slot
     * when it completes), for callers that must act on a reply that arrives after they stopped
     * waiting (basic.get requeues a late GetOk). Wait on it with {@link #await}.
     *
     * @throws ClosedException when the channel is closed
     * @throws InterruptedException when interrupted while queued for the slot (nothing was sent)
     */
    public CompletableFuture<Command> startRpc(Method method) throws InterruptedException {
        acquireSlot();
        CompletableFuture<Command> reply;
        try {
            reply = Scope.shielded(() -> raw.asyncCompletableRpc(method));
        } catch (IOException | ShutdownSignalException e) {
            slot.release();
            throw translate(e);
        } catch (RuntimeException e) {
            slot.release();
            throw e;
        }
        reply.whenComplete((r, e) -> slot.release());
        return reply;
    }

    private void acquireSlot() throws InterruptedException {
        ensureOpen();
        try {
            slot.acquire();
        } catch (InterruptedException e) {
            throw closedOr(e);
        }
        ClosedException c = closed.get();
        if (c != null) {
            slot.release();
            throw c.forCaller();
        }
    }

    /**
     * Maps what amqp-client threw to Warren's exceptions: a shutdown signal (also wrapped in an
     * {@link IOException}, or an {@link AlreadyClosedException}) becomes the channel's recorded
     * close; any other I/O failure an {@link UncheckedIOException}.
     */
    public RuntimeException translate(Throwable t) {
        if (t instanceof WarrenException w) {
            return w instanceof ClosedException c ? c.forCaller() : w;
        }
        ShutdownSignalException s = Closes.signalOf(t);
        if (s != null) {
            ClosedException mapped = Closes.from(s, raw.getChannelNumber(), connectionName);
            shutdown(mapped);
            ClosedException recorded = closed.get();
            return recorded.forCaller();
        }
        if (t instanceof IOException io) {
            return new UncheckedIOException(io.getMessage(), io);
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(t);
    }

    private RuntimeException rethrow(Throwable cause) {
        return translate(cause);
    }

    /** Closes this channel as the application, recording a 200 close for pending callers. */
    public void closeByApplication() {
        shutdown(new ChannelClosedException(raw.getChannelNumber(), 200, "closed by the application",
                false, null, null));
        if (raw.isOpen()) {
            try {
                Scope.shielded(() -> {
                    try {
                        raw.close();
                    } catch (TimeoutException e) {
                        // The broker did not answer in time; the channel is unusable either way.
                    }
                    return null;
                });
            } catch (IOException | ShutdownSignalException ignored) {
                // Already closing or closed by the broker or the connection: nothing to release.
            }
        }
    }

    /** An amqp-client call that may throw {@link IOException}. */
    @FunctionalInterface
    public interface IoCall<T> {
        T call() throws IOException;
    }
}
