package dev.warren.internal;

import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.ChannelClosedException;
import dev.warren.ClosedException;
import dev.warren.ConnectionClosedException;
import dev.warren.WarrenException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
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
import java.util.function.IntSupplier;

/**
 * The bridge between one amqp-client channel and the threads that use it: what it sends and what
 * waits on it.
 *
 * <p><b>Sending.</b> Every frame goes through {@link #send}: onto this channel's queue, written
 * in order by the connection's {@link Writer}, never by the caller. Failures of a write are
 * mapped here, in {@link #writeOne}, for every kind of frame.
 *
 * <p><b>Waiting.</b> Every wait is on something registered here first (a future, a synchronous
 * method's {@link RpcRequest}), so that the close, running on amqp-client's thread, fails every
 * waiter without blocking. The close is recorded once ({@link #shutdown}); registrations and the
 * close race safely because each side writes first and reads the other's write second.
 */
public final class ChannelContext {
    /** Permits released on close so that every caller queued for the slot wakes up and fails. */
    private static final int FLUSH_PERMITS = Integer.MAX_VALUE / 2;
    /** Reply code of a close that Warren made itself (a timeout, a frame amqp-client refused). */
    public static final int CLIENT_ABORT = 0;

    private static final VarHandle SCHEDULED;

    static {
        try {
            SCHEDULED = MethodHandles.lookup().findVarHandle(ChannelContext.class, "scheduled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Channel raw;
    private final String connectionName;
    private final Writer writer;
    private final Duration operationTimeout;
    private final Telemetry telemetry;
    /** What the close counts before it fails anything: pending operations and subtasks of the channel's parts. */
    private final ConcurrentLinkedQueue<IntSupplier[]> closeCounts = new ConcurrentLinkedQueue<>();
    private final AtomicReference<ClosedException> closed = new AtomicReference<>();
    private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Consumer<ClosedException>> closeHooks = new ConcurrentLinkedQueue<>();
    /** The FIFO slot for synchronous AMQP methods: a permit, so the reply can free it. */
    private final Semaphore slot = new Semaphore(1, true);
    /** The synchronous method in flight (at most one, by the slot), watched for its deadline. */
    private final Set<RpcRequest> inFlight = ConcurrentHashMap.newKeySet();
    private final Timeouts rpcTimeouts;
    private final ConcurrentLinkedQueue<Outbound> outbox = new ConcurrentLinkedQueue<>();
    /** Whether this channel is queued at the writer (at most once at a time). */
    private volatile boolean scheduled;

    /**
     * @param writer the connection's writer, which writes everything this channel sends
     * @param operationTimeout how long a synchronous method may wait for its reply before the
     *        channel is aborted
     */
    public ChannelContext(Channel raw, String connectionName, Writer writer, Duration operationTimeout) {
        this(raw, connectionName, writer, operationTimeout, Telemetry.NONE);
    }

    /** @param telemetry what the channel reports to (its connection's observer, JFR) */
    public ChannelContext(Channel raw, String connectionName, Writer writer, Duration operationTimeout,
            Telemetry telemetry) {
        this.raw = raw;
        this.telemetry = telemetry;
        this.connectionName = connectionName;
        this.writer = writer;
        this.operationTimeout = operationTimeout;
        this.rpcTimeouts = new Timeouts(inFlight, "warren-ch" + raw.getChannelNumber() + "-rpc-timeouts");
        raw.addShutdownListener(this::onShutdownSignal);
        if (!raw.isOpen()) {
            // Closed before the listener was added: amqp-client will not call it any more.
            ShutdownSignalException s = raw.getCloseReason();
            if (s != null) {
                onShutdownSignal(s);
            }
        }
    }

    /** What this channel reports to. */
    Telemetry telemetry() {
        return telemetry;
    }

    /**
     * Adds to what the close reports (if anything observes it): {@code operations} counts the
     * part's pending operations, {@code subtasks} its running subtasks, both read when the close
     * is recorded, before anything is failed or woken. Never blocks.
     */
    void countOnClose(IntSupplier operations, IntSupplier subtasks) {
        closeCounts.add(new IntSupplier[] {operations, subtasks});
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

    /** The bound on a synchronous method's wait for its reply. */
    public Duration operationTimeout() {
        return operationTimeout;
    }

    /** The connection's negotiated frame maximum in bytes, 0 for none. */
    public int frameMax() {
        return raw.getConnection().getFrameMax();
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
     * Records the close, once, then fails every pending operation and everything not yet
     * written, frees the slot for every queued caller and runs the close hooks. Never blocks.
     *
     * @return whether this call recorded it (false if the channel was closed already)
     */
    public boolean shutdown(ClosedException cause) {
        if (!closed.compareAndSet(null, cause)) {
            return false;
        }
        rpcTimeouts.stop();
        // Counted before anything is failed: woken waiters and cancelled subtasks leave at once.
        boolean report = telemetry.closes();
        int failed = 0;
        int cancelled = 0;
        if (report) {
            failed = pending.size() + inFlight.size() + slot.getQueueLength();
            for (IntSupplier[] c : closeCounts) {
                failed += c[0].getAsInt();
                cancelled += c[1].getAsInt();
            }
        }
        for (CompletableFuture<?> f : pending) {
            f.completeExceptionally(cause);
        }
        for (RpcRequest r : inFlight) {
            r.complete(cause);
        }
        slot.release(FLUSH_PERMITS);
        abandonQueued();
        Consumer<ClosedException> hook;
        while ((hook = closeHooks.poll()) != null) {
            hook.accept(cause);
        }
        if (report) {
            telemetry.channelClosed(number(), cause, failed, cancelled);
        }
        return true;
    }

    /**
     * Ends the channel from Warren's side: records {@code reason} as its close (every pending
     * operation fails with it) and closes the amqp-client channel without waiting for the broker.
     * For a channel whose state Warren can no longer vouch for: a synchronous method without a
     * reply in time (a late reply would answer the next method), a frame amqp-client refused
     * after it took a sequence number or registered a reply.
     *
     * @return the channel's recorded close (this one, or an earlier one)
     */
    public ClosedException abort(String reason, String failedMethod, Throwable cause) {
        ChannelClosedException c = new ChannelClosedException(number(), CLIENT_ABORT, reason, false, failedMethod,
                cause);
        if (shutdown(c)) {
            Offload.start("ch" + number() + "-abort", () -> {
                raw.abort(200, "aborted by the client: " + reason);
                return null;
            });
        }
        return closed.get();
    }

    /** How many operations are waiting on this channel right now (for tests and diagnostics). */
    public int pendingCount() {
        return pending.size() + inFlight.size();
    }

    // ---------------------------------------------------------------- the outbound path

    /**
     * Queues {@code o} to be written by the connection's writer, after everything this channel
     * queued before. Never blocks. If the channel is closed, {@code o} is abandoned with the close.
     */
    void send(Outbound o) {
        outbox.offer(o);
        // Queued first, close read second: either shutdown() drains this, or this sees the close.
        if (closed.get() != null) {
            abandonQueued();
            return;
        }
        if (!scheduled && SCHEDULED.compareAndSet(this, false, true)) {
            writer.schedule(this);
        }
    }

    /** On the writer thread: writes up to {@code limit} queued items, then gives up the turn. */
    void writeTurn(int limit) {
        for (int i = 0; i < limit; i++) {
            Outbound o = outbox.poll();
            if (o == null) {
                break;
            }
            writeOne(o);
        }
        scheduled = false;
        // Unscheduled first, queue read second: a sender queues first and reads scheduled second.
        if (!outbox.isEmpty() && SCHEDULED.compareAndSet(this, false, true)) {
            writer.schedule(this);
        }
    }

    /** The one place where what a write does to the channel is decided, for every kind of frame. */
    private void writeOne(Outbound o) {
        ClosedException c = closed.get();
        if (c != null) {
            o.abandon(c);
            return;
        }
        try {
            o.write();
        } catch (IOException | ShutdownSignalException e) {
            o.abandon(translate(e));
        } catch (RuntimeException | Error e) {
            // Refused after Warren's own checks passed: amqp-client may have taken a sequence
            // number or registered a reply already, so the channel is out of step with the broker.
            o.abandon(abort("amqp-client refused a frame: " + e, null, e));
        }
    }

    /** Abandons everything queued, with the close (or the connection's end). Never blocks. */
    void abandonQueued() {
        Outbound o;
        while ((o = outbox.poll()) != null) {
            ClosedException c = closed.get();
            o.abandon(c != null ? c : new ConnectionClosedException(connectionName, 0,
                    "the connection is closed: nothing more is written", false, null, null));
        }
    }

    // ---------------------------------------------------------------- waiting

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
            throw translate(e.getCause());
        } catch (InterruptedException e) {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                // The value came before the interrupt (often the close's): keep both.
                Thread.currentThread().interrupt();
                return f.join();
            }
            throw closedOr(e);
        } finally {
            pending.remove(f);
        }
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

    // ---------------------------------------------------------------- synchronous methods

    /**
     * Issues a synchronous AMQP method (or several, each after the previous one's reply, in one
     * turn) and waits for the (last) reply. Callers queue in FIFO order for
     * the channel's slot; the slot is freed when the reply or the close arrives, even if the
     * caller stopped waiting, so the channel never gets out of step with the broker. A reply
     * that does not come within the operation timeout aborts the channel.
     *
     * @throws IllegalArgumentException when an argument table cannot be encoded (nothing was sent)
     * @throws ClosedException when the channel closes before the reply (for the method that
     *         caused it and for every caller queued behind it), also when the reply did not
     *         come in time ({@link #CLIENT_ABORT}, not initiated by the broker)
     * @throws InterruptedException when interrupted while queued (nothing was sent) or while
     *         waiting for the reply (the method was sent; its reply is consumed and dropped)
     */
    public Command rpc(Method... methods) throws InterruptedException {
        return awaitReply(startRpc(methods));
    }

    /**
     * As {@link #rpc}, for the few methods whose callers cannot be interrupted (confirm.select
     * while a channel opens): waits on through interrupts, within the operation timeout, and sets
     * the interrupt status again afterwards.
     */
    public Command rpcUninterruptibly(Method method) {
        boolean interrupted = false;
        try {
            RpcRequest r;
            for (;;) {
                try {
                    r = startRpc(method);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            for (;;) {
                try {
                    return awaitReply(r);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Takes the slot and sends {@code method}; wait for the reply with {@link #awaitReply}. For
     * callers that must act on a reply that comes after they stopped waiting (basic.get
     * requeues a late GetOk, see {@link RpcRequest#onLateReply}).
     *
     * @throws ClosedException when the channel is closed
     * @throws InterruptedException when interrupted while queued for the slot (nothing was sent)
     */
    public RpcRequest startRpc(Method... methods) throws InterruptedException {
        for (Method m : methods) {
            FieldTables.checkArguments(AmqpMethods.argumentsOf(m), "argument", frameMax());
        }
        acquireSlot();
        RpcRequest r = new RpcRequest(this, methods, Timeouts.deadlineIn(operationTimeout.toNanos()));
        inFlight.add(r);
        // Added first, close read second: either shutdown() fails it, or this sees the close.
        ClosedException c = closed.get();
        if (c != null) {
            r.complete(c);
            throw c.forCaller();
        }
        rpcTimeouts.start();
        rpcTimeouts.register(r.deadline);
        send(r);
        return r;
    }

    private void acquireSlot() throws InterruptedException {
        ensureOpen();
        try {
            slot.acquire();
        } catch (InterruptedException e) {
            throw closedOr(e);
        }
    }

    /**
     * Runs {@code call} while holding the channel's slot, so that no synchronous method of
     * Warren's overlaps it (for tests that need the slot taken at a chosen moment, and for a
     * caller issuing a method of its own on the raw channel). Its failures are mapped as a
     * write's are.
     *
     * @throws ClosedException when the channel is closed
     * @throws InterruptedException when interrupted while queued for the slot
     */
    public <T> T holdingSlot(IoCall<T> call) throws InterruptedException {
        acquireSlot();
        try {
            ensureOpen();
            return call.call();
        } catch (IOException | ShutdownSignalException e) {
            throw translate(e);
        } finally {
            slot.release();
        }
    }

    /**
     * Waits for the reply of a method sent with {@link #startRpc}.
     *
     * @throws ClosedException when the channel closed first
     * @throws InterruptedException when interrupted while the channel is open; the reply will be
     *         consumed and dropped
     */
    public Command awaitReply(RpcRequest r) throws InterruptedException {
        Object o;
        try {
            o = r.await(0);
        } catch (InterruptedException e) {
            if (r.outcome() instanceof Command reply) {
                Thread.currentThread().interrupt();
                return reply;
            }
            throw closedOr(e);
        }
        if (o instanceof Command reply) {
            return reply;
        }
        throw translate((Throwable) o);
    }

    /** From the request, once it has its outcome: frees the slot for the next caller. */
    void rpcFinished(RpcRequest r) {
        if (inFlight.remove(r)) {
            slot.release();
        }
    }

    /** From the timeouts thread: the reply did not come in time. */
    void rpcTimedOut(RpcRequest r) {
        String name = AmqpMethods.name(r.method().protocolClassId(), r.method().protocolMethodId());
        abort("client-side timeout: no reply to " + name + " within " + Durations.millis(operationTimeout)
                + " (the channel was aborted so that a late reply cannot answer the next method)", name, null);
    }

    // ---------------------------------------------------------------- failures

    /**
     * Maps what amqp-client threw to Warren's exceptions: a shutdown signal (also wrapped in an
     * {@link IOException}, or an {@link AlreadyClosedException}) becomes the channel's recorded
     * close; any other I/O failure is the connection failing, so a
     * {@link ConnectionClosedException} (recorded, unless a close came first).
     */
    public RuntimeException translate(Throwable t) {
        if (t instanceof WarrenException w) {
            return w instanceof ClosedException c ? c.forCaller() : w;
        }
        ShutdownSignalException s = Closes.signalOf(t);
        if (s != null) {
            shutdown(Closes.from(s, raw.getChannelNumber(), connectionName));
            return closed.get().forCaller();
        }
        if (t instanceof IOException io) {
            ShutdownSignalException connectionClose = raw.getConnection().getCloseReason();
            Throwable lost = writer.lostBecause();
            shutdown(connectionClose != null ? Closes.from(connectionClose, raw.getChannelNumber(), connectionName)
                    : new ConnectionClosedException(connectionName, 0, Closes.describe(lost != null ? lost : io),
                            true, null, lost != null ? lost : io));
            return closed.get().forCaller();
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(t);
    }

    /**
     * Waits until the writer has written what this channel queued so far (or the channel
     * closed), at most {@code bound}; ignores interrupts, keeping the status.
     */
    public void awaitWritten(Duration bound) {
        if (closed.get() == null) {
            Barrier flushed = new Barrier(writer);
            send(flushed);
            flushed.awaitQuietly(bound);
        }
    }

    /**
     * Closes this channel as the application: first lets the writer write what this channel
     * queued (acks, publishes), then records a 200 close for whatever still waits, then closes
     * the amqp-client channel. Waits at most {@code bound} for each of the two; never throws
     * for the close itself, and keeps the interrupt status as it was.
     */
    public void closeByApplication(Duration bound) {
        awaitWritten(bound);
        shutdown(new ChannelClosedException(raw.getChannelNumber(), 200, "closed by the application",
                false, null, null));
        if (raw.isOpen()) {
            CompletableFuture<Void> done = Offload.start("ch" + number() + "-close", () -> {
                try {
                    raw.close();
                } catch (TimeoutException | IOException | ShutdownSignalException e) {
                    // Closed meanwhile, or the broker did not answer: unusable either way.
                }
                return null;
            });
            Offload.awaitQuietly(done, bound);
        }
    }

    /** An amqp-client call that may throw {@link IOException}. */
    @FunctionalInterface
    public interface IoCall<T> {
        /** Runs the call. */
        T call() throws IOException;
    }
}
