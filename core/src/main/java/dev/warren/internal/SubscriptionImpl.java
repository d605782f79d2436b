package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.ClosedException;
import dev.warren.ConsumeOptions;
import dev.warren.ConsumerCancelledException;
import dev.warren.Delivery;
import dev.warren.DeliveryHandler;
import dev.warren.Subscription;
import dev.warren.WarrenObserver;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription: amqp-client's {@link Consumer} on one side, blocking takers on the other.
 *
 * <p>The buffer is an intrusive linked queue of {@link InboundDelivery} nodes: the dispatch
 * thread appends with one atomic swap and never waits, takers remove with a CAS, so a hand-off
 * needs no lock and no allocation besides the delivery. It is unbounded as a data structure;
 * what bounds it is counted: the prefetch with manual ack, else
 * {@link ConsumeOptions#UNLIMITED_BUFFER_BOUND}. A delivery beyond the bound (a broker that
 * ignores qos, or a consumer without flow control that falls behind) aborts the channel: the
 * reader thread cannot wait, and a buffer the broker could grow at will is not one.
 *
 * <p>Takers that find it empty push a small {@link Waiter} on a lock-free stack and park. The
 * reader thread wakes one waiter per delivery, and only when the stack is not empty (one
 * volatile read otherwise); an end (broker cancel, channel close, application close) wakes them
 * all at once, without a lock convoy. Lost wake-ups are ruled out by ordering: the producer
 * links the delivery, then reads the stack; a taker pushes itself, then reads the queue again
 * before parking.
 */
public final class SubscriptionImpl implements Subscription, Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionImpl.class);

    /** What {@link #next} returns when the application closed the subscription. */
    private static final InboundDelivery CLOSED_BY_APP = InboundDelivery.sentinel();
    /** {@link #end} when the broker cancelled the consumer. */
    private static final Object CANCELLED = new Object();
    /** {@link #end} when the application closed the subscription. */
    private static final Object APP_CLOSED = new Object();
    /** {@link #end} after the application's {@link #cancel()}: what is buffered is handed out, then it ends. */
    private static final Object DRAINED = new Object();

    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle WAITERS;
    private static final VarHandle END;
    private static final VarHandle CLOSING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(SubscriptionImpl.class, "head", InboundDelivery.class);
            TAIL = l.findVarHandle(SubscriptionImpl.class, "tail", InboundDelivery.class);
            WAITERS = l.findVarHandle(SubscriptionImpl.class, "waiters", Waiter.class);
            END = l.findVarHandle(SubscriptionImpl.class, "end", Object.class);
            CLOSING = l.findVarHandle(SubscriptionImpl.class, "closing", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Consumers owner;
    private final ChannelContext ctx;
    private final Telemetry telemetry;
    private final Scope scope;
    private final String queue;
    private final boolean autoAck;
    /** Completed by cancel-ok or by the broker's cancel: after either, no delivery follows. */
    private final CompletableFuture<Void> cancelDone = new CompletableFuture<>();
    /** Set by the first of cancel() and close() to send basic.cancel: the other waits for its answer. */
    private final java.util.concurrent.atomic.AtomicBoolean cancelSent = new java.util.concurrent.atomic.AtomicBoolean();

    /** The dummy node: the last delivery taken (or the initial sentinel). */
    private volatile InboundDelivery head;
    private volatile InboundDelivery tail;
    private volatile Waiter waiters;
    /** null while active; then {@link #CANCELLED}, {@link #DRAINED}, {@link #APP_CLOSED} or the channel's ClosedException. */
    private volatile Object end;
    private volatile boolean closing;
    private final String consumerTag;
    /** {@link ConsumeOptions#onDropped()}: null for the default warning. */
    private final BiConsumer<Delivery, Throwable> onDropped;
    /** The most deliveries the buffer may hold, and how many it holds. */
    private final int bound;
    private final boolean flowControlled;
    private final java.util.concurrent.atomic.AtomicInteger buffered = new java.util.concurrent.atomic.AtomicInteger();

    SubscriptionImpl(Consumers owner, ChannelContext ctx, Scope scope, String queue, ConsumeOptions options,
            String consumerTag) {
        this.owner = owner;
        this.ctx = ctx;
        this.telemetry = ctx.telemetry();
        this.scope = scope;
        this.queue = queue;
        this.autoAck = options.autoAck();
        this.consumerTag = consumerTag;
        this.onDropped = options.onDropped();
        this.flowControlled = !autoAck && options.prefetch() > 0;
        this.bound = flowControlled ? options.prefetch() : ConsumeOptions.UNLIMITED_BUFFER_BOUND;
        InboundDelivery dummy = InboundDelivery.sentinel();
        this.head = dummy;
        this.tail = dummy;
    }

    // ---------------------------------------------------------------- amqp-client's side (never blocks)

    @Override
    public void handleConsumeOk(String tag) {
        // Warren picked the tag before basic.consume was sent.
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        if (buffered.incrementAndGet() > bound) {
            overflowed();
            return;
        }
        InboundDelivery d = new InboundDelivery(ctx, envelope, properties, body, autoAck);
        InboundDelivery prev = (InboundDelivery) TAIL.getAndSet(this, d);
        prev.setNext(d);
        if (waiters != null) {
            signalOne();
        }
        if (telemetry.observer != null) {
            telemetry.delivered(queue);
        }
    }

    @Override
    public void handleCancel(String tag) {
        setEnd(CANCELLED);
        owner.removed(this);
        cancelDone.complete(null);
    }

    @Override
    public void handleCancelOk(String tag) {
        cancelDone.complete(null);
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
        // Normally the channel's close hook got here first; this covers the order being reversed.
        if (ctx.closedCause() == null) {
            ctx.shutdown(Closes.from(sig, ctx.number(), ctx.connectionName()));
        }
        channelClosed(ctx.closedCause());
    }

    @Override
    public void handleRecoverOk(String tag) {
        // basic.recover is not used by Warren.
    }

    /**
     * A delivery beyond the bound: the channel is aborted (unacknowledged deliveries go back to
     * the queue; with auto-ack, what was buffered is lost, as it would be on any close).
     */
    private void overflowed() {
        if (ctx.closedCause() != null) {
            return;
        }
        String why = flowControlled
                ? "the broker sent more than the prefetch of " + bound + " unacknowledged deliveries"
                : "auto-ack or prefetch 0: the broker does no flow control, and the application took too slowly";
        ctx.abort("the subscription to '" + queue + "' has " + bound + " deliveries buffered, its bound (" + why
                + ")", "basic.deliver", null);
    }

    /** From the channel's close hook: ends the subscription with the close. Never blocks. */
    void channelClosed(ClosedException cause) {
        setEnd(cause);
        owner.removed(this);
        cancelDone.complete(null);
    }

    // ---------------------------------------------------------------- takers' side

    @Override
    public String queue() {
        return queue;
    }

    @Override
    public String consumerTag() {
        return consumerTag;
    }

    @Override
    public boolean isActive() {
        return end == null && ctx.closedCause() == null;
    }

    @Override
    public Delivery take() throws InterruptedException {
        long start = telemetry.traces ? System.nanoTime() : 0L;
        InboundDelivery d = nextDelivery(false, 0L);
        if (d == CLOSED_BY_APP) {
            throw closedByApplication();
        }
        return received(d, start);
    }

    @Override
    public Delivery poll(Duration timeout) throws InterruptedException {
        long nanos = toNanos(Objects.requireNonNull(timeout, "timeout"));
        long start = telemetry.traces ? System.nanoTime() : 0L;
        InboundDelivery d = nextDelivery(true, nanos);
        if (d == CLOSED_BY_APP) {
            throw closedByApplication();
        }
        return received(d, start);
    }

    /** Tells a tracing observer that the application took {@code d} (null: nothing came). */
    private InboundDelivery received(InboundDelivery d, long start) {
        if (d != null && telemetry.traces) {
            telemetry.received(queue, d, System.nanoTime() - start);
        }
        return d;
    }

    @Override
    public Iterator<Delivery> iterator() {
        return new Iterator<>() {
            private InboundDelivery pending;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (pending != null) {
                    return true;
                }
                if (done) {
                    return false;
                }
                InboundDelivery d;
                long start = telemetry.traces ? System.nanoTime() : 0L;
                try {
                    d = nextDelivery(false, 0L);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    CancellationException c = new CancellationException(
                            "interrupted while waiting for a delivery from queue '" + queue + "'");
                    c.initCause(e);
                    throw c;
                }
                if (d == CLOSED_BY_APP) {
                    done = true;
                    return false;
                }
                pending = received(d, start);
                return true;
            }

            @Override
            public Delivery next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the subscription to queue '" + queue + "' was closed");
                }
                InboundDelivery d = pending;
                pending = null;
                return d;
            }
        };
    }

    /**
     * The next delivery; null when timed and the time ran out; {@link #CLOSED_BY_APP} when the
     * application closed the subscription.
     */
    private InboundDelivery nextDelivery(boolean timed, long nanos) throws InterruptedException {
        if (end == null && ctx.closedCause() == null) {
            InboundDelivery d = poll();
            if (d != null) {
                return d;
            }
        }
        if (Jfr.on(Jfr.TAKE)) {
            return awaitNextRecorded(timed, nanos);
        }
        return awaitNext(timed, nanos);
    }

    /** {@link #awaitNext} with a JFR event for the time blocked. */
    private InboundDelivery awaitNextRecorded(boolean timed, long nanos) throws InterruptedException {
        TakeEvent e = new TakeEvent();
        e.begin();
        String outcome = "closed";
        try {
            InboundDelivery d = awaitNext(timed, nanos);
            outcome = d == null ? "timeout" : d == CLOSED_BY_APP ? "closed" : "delivery";
            return d;
        } catch (ConsumerCancelledException x) {
            outcome = "cancelled";
            throw x;
        } catch (InterruptedException x) {
            outcome = "interrupted";
            throw x;
        } finally {
            telemetry.took(ctx.number(), e, queue, outcome);
        }
    }

    /** Threads parked in take, poll or iteration right now (a gauge: the stack of waiters, walked). */
    int parkedTakers() {
        int n = 0;
        for (Waiter w = waiters; w != null; w = w.next) {
            if (w.state == Waiter.WAITING) {
                n++;
            }
        }
        return n;
    }

    private InboundDelivery awaitNext(boolean timed, long nanos) throws InterruptedException {
        long deadline = timed ? System.nanoTime() + nanos : 0L;
        boolean timedOut = timed && nanos <= 0;
        boolean normal = false;
        Waiter w = null;
        try {
            for (;;) {
                Object e = end;
                if (e == null) {
                    // The channel is marked closed before its close hooks run (ours sets end):
                    // a take in between must fail as well, not hand out what is buffered.
                    e = ctx.closedCause();
                }
                if (e != null && e != CANCELLED && e != DRAINED) {
                    if (e == APP_CLOSED) {
                        normal = true;
                        return CLOSED_BY_APP;
                    }
                    throw ((ClosedException) e).forCaller();
                }
                InboundDelivery d = poll();
                if (d != null) {
                    normal = true;
                    return d;
                }
                if (e == CANCELLED) {
                    throw new ConsumerCancelledException(queue, consumerTag);
                }
                if (e == DRAINED) {
                    normal = true;
                    return CLOSED_BY_APP;
                }
                if (w == null) {
                    if (timedOut) {
                        normal = true;
                        return null;
                    }
                    // Pushed before the queue and the end are read again, so no hand-over is missed.
                    w = new Waiter(Thread.currentThread());
                    push(w);
                    continue;
                }
                if (timed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0L) {
                        // One more look at the queue and the end, without waiting again.
                        timedOut = true;
                        leave(w, false);
                        w = null;
                        continue;
                    }
                    LockSupport.parkNanos(this, left);
                } else {
                    LockSupport.park(this);
                }
                if (Thread.interrupted()) {
                    // With w still set, so that a wake-up it got is passed on by the finally.
                    throw ctx.closedOr(new InterruptedException());
                }
                if (w.state != Waiter.WAITING) {
                    // Woken (by a delivery or an end), and popped off the stack by the waker.
                    w = null;
                }
            }
        } finally {
            if (w != null) {
                leave(w, normal);
            }
        }
    }

    /** Removes the head of the buffer, or returns null if it is empty. */
    private InboundDelivery poll() {
        for (;;) {
            InboundDelivery h = head;
            InboundDelivery n = h.next();
            if (n == null) {
                return null;
            }
            if (HEAD.compareAndSet(this, h, n)) {
                buffered.decrementAndGet();
                // The old head links to itself, as in LinkedBlockingQueue: a delivery the
                // application keeps must not keep every later one reachable.
                h.setNext(h);
                return n;
            }
        }
    }

    // ---------------------------------------------------------------- waiters

    /** A parked taker; the reader thread flips it to SIGNALLED and unparks it. */
    private static final class Waiter {
        static final int WAITING = 0;
        static final int SIGNALLED = 1;
        static final int CANCELLED = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Thread thread;
        volatile int state;
        /** Written before the node is published by the CAS that pushes it, never after. */
        Waiter next;

        Waiter(Thread thread) {
            this.thread = thread;
        }

        boolean signal() {
            return STATE.compareAndSet(this, WAITING, SIGNALLED);
        }

        boolean cancel() {
            return STATE.compareAndSet(this, WAITING, CANCELLED);
        }
    }

    private void push(Waiter w) {
        for (;;) {
            Waiter top = waiters;
            // Drops cancelled waiters (timed out, interrupted) off the top on the way, so that a
            // polling loop on an idle queue does not pile them up.
            Waiter below = top;
            while (below != null && below.state == Waiter.CANCELLED) {
                below = below.next;
            }
            w.next = below;
            if (WAITERS.compareAndSet(this, top, w)) {
                return;
            }
        }
    }

    /**
     * Withdraws a waiter that stops waiting. If it was woken meanwhile and leaves without a
     * delivery ({@code tookOne} false), the wake-up goes to another waiter, or a delivery could
     * sit in the buffer while others wait.
     */
    private void leave(Waiter w, boolean tookOne) {
        if (w.cancel()) {
            WAITERS.compareAndSet(this, w, w.next);
        } else if (!tookOne && end == null) {
            signalOne();
        }
    }

    /** Wakes one waiting taker, if there is one. Never blocks. */
    private void signalOne() {
        for (;;) {
            Waiter w = waiters;
            if (w == null) {
                return;
            }
            if (WAITERS.compareAndSet(this, w, w.next) && w.signal()) {
                LockSupport.unpark(w.thread);
                return;
            }
        }
    }

    /** Wakes every waiting taker. Never blocks. */
    private void signalAll() {
        Waiter w = (Waiter) WAITERS.getAndSet(this, null);
        for (; w != null; w = w.next) {
            if (w.signal()) {
                LockSupport.unpark(w.thread);
            }
        }
    }

    /** Records how the subscription ended: a channel close overrides the others, which only replace active. */
    private void setEnd(Object e) {
        for (;;) {
            Object cur = end;
            if (cur instanceof ClosedException || cur == e || (cur != null && (e == CANCELLED || e == DRAINED))) {
                return;
            }
            if (END.compareAndSet(this, cur, e)) {
                signalAll();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- handle

    @Override
    public void handle(int concurrency, DeliveryHandler handler) throws InterruptedException {
        handle(concurrency, handler, false);
    }

    @Override
    public void handle(int concurrency, DeliveryHandler handler, boolean requeueOnFailure)
            throws InterruptedException {
        handle(concurrency, handler, requeueOnFailure, false);
    }

    /**
     * As {@link #handle(int, DeliveryHandler, boolean)}; {@code serve} tells observers that the
     * deliveries are requests of {@code serve()}.
     */
    void handle(int concurrency, DeliveryHandler handler, boolean requeueOnFailure, boolean serve)
            throws InterruptedException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, not " + concurrency);
        }
        Objects.requireNonNull(handler, "handler");
        // Its handlers are subtasks: the scope's rule on who may fork holds for handle() too.
        scope.ensureMayFork("handle deliveries of queue '" + queue + "'");
        HandleRun run = new HandleRun(concurrency, handler, requeueOnFailure, serve);
        boolean cancelRunning = false;
        try {
            for (;;) {
                run.permits.acquire();
                InboundDelivery d;
                try {
                    d = nextDelivery(false, 0L);
                } catch (Throwable t) {
                    run.permits.release();
                    throw t;
                }
                if (d == CLOSED_BY_APP) {
                    run.permits.release();
                    return;
                }
                if (scope.isCancelled()) {
                    // A sibling subtask failed or the channel is closing: a handler forked now
                    // would start interrupted, and requeueing in a loop helps nobody.
                    run.permits.release();
                    d.requeueQuietly();
                    ClosedException c = ctx.closedCause();
                    if (c != null) {
                        throw c.forCaller();
                    }
                    throw new CancellationException("the channel's subtasks were cancelled (a subtask failed);"
                            + " stopped handling queue '" + queue + "'");
                }
                try {
                    scope.fork(() -> {
                        run.run(d);
                        return null;
                    });
                } catch (IllegalStateException shut) {
                    // The channel is being closed by its owner: nobody will handle it here.
                    run.permits.release();
                    d.requeueQuietly();
                    ClosedException c = ctx.closedCause();
                    throw c != null ? c.forCaller() : shut;
                }
            }
        } catch (InterruptedException e) {
            cancelRunning = true;
            throw ctx.closedOr(e);
        } finally {
            if (cancelRunning) {
                run.cancel();
            }
            // No handler of this call outlives it.
            run.permits.acquireUninterruptibly(concurrency);
        }
    }

    /** One call of {@link #handle}: its concurrency bound and its running handlers. */
    private final class HandleRun {
        final Semaphore permits;
        final DeliveryHandler handler;
        final boolean requeueOnFailure;
        final boolean serve;
        final Set<Thread> running = ConcurrentHashMap.newKeySet();
        volatile boolean cancelled;

        HandleRun(int concurrency, DeliveryHandler handler, boolean requeueOnFailure, boolean serve) {
            this.permits = new Semaphore(concurrency);
            this.handler = handler;
            this.requeueOnFailure = requeueOnFailure;
            this.serve = serve;
        }

        void cancel() {
            cancelled = true;
            for (Thread t : running) {
                t.interrupt();
            }
        }

        void run(InboundDelivery d) {
            Thread me = Thread.currentThread();
            running.add(me);
            // Added, then the flag read: either cancel() sees this thread or this sees the flag.
            if (cancelled) {
                me.interrupt();
            }
            try {
                if (telemetry.handles()) {
                    observed(d);
                } else {
                    handler.handle(d);
                }
                if (!d.isSettled()) {
                    d.ack();
                }
            } catch (Throwable t) {
                failed(d, t);
            } finally {
                running.remove(me);
                permits.release();
            }
        }

        /** The handler's run with its JFR event and its trace operation (which is current during the run). */
        private void observed(InboundDelivery d) throws Exception {
            HandleEvent e = null;
            if (Jfr.on(Jfr.HANDLE)) {
                e = new HandleEvent();
                e.begin();
            }
            WarrenObserver.Operation op = telemetry.startHandle(queue, d, serve);
            WarrenObserver.Outcome outcome = WarrenObserver.Outcome.ACK;
            Throwable failure = null;
            try {
                handler.handle(d);
            } catch (Exception | Error x) {
                failure = x;
                outcome = Telemetry.outcomeOf(x);
                throw x;
            } finally {
                telemetry.handled(ctx.number(), e, op, queue, serve, d.redelivered(), outcome, failure);
            }
        }

        private void failed(InboundDelivery d, Throwable t) {
            if (t instanceof ClosedException) {
                return; // The channel closed: the broker requeues what was not settled.
            }
            boolean interrupted = t instanceof InterruptedException;
            boolean requeue = interrupted || requeueOnFailure;
            boolean nacked = false;
            if (!d.isSettled()) {
                try {
                    d.nack(requeue);
                    nacked = true;
                } catch (ClosedException | IllegalStateException ignored) {
                    // Closed meanwhile (the broker requeues), or settled by the handler's own thread.
                }
            }
            if (autoAck ? !interrupted : nacked && !requeue) {
                DropReport.dropped(onDropped, queue, d, autoAck, t); // may throw: then this subtask fails
            } else if (!interrupted) {
                LOG.warn("handler for queue '{}' failed on {}; {}", queue, d,
                        nacked ? "requeued" : "it was settled already", t);
            }
        }
    }

    // ---------------------------------------------------------------- close

    @Override
    public void close() {
        if (!CLOSING.compareAndSet(this, false, true)) {
            return;
        }
        boolean interrupted = false;
        try {
            setEnd(APP_CLOSED);
            if (ctx.closedCause() == null && !cancelDone.isDone()) {
                interrupted |= cancelOnce();
            }
            // After cancel-ok (or the broker's cancel) no delivery follows: the buffer is complete.
            interrupted |= awaitCancelDone();
            boolean requeued = false;
            for (InboundDelivery d = poll(); d != null; d = poll()) {
                if (!autoAck) {
                    requeued |= d.requeueQuietly();
                }
            }
            if (requeued) {
                // Settles go out through the writer: return once they have.
                ctx.awaitWritten(ctx.operationTimeout());
            }
        } catch (ClosedException e) {
            // The channel closed: the broker requeues everything unsettled by itself.
        } finally {
            owner.removed(this);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- cancel (graceful drain)

    @Override
    public void cancel() {
        if (closing || end != null || ctx.closedCause() != null) {
            return;
        }
        boolean interrupted = false;
        try {
            if (!cancelDone.isDone()) {
                interrupted = cancelOnce();
            }
            interrupted |= awaitCancelDone();
            // Only now: a delivery that came before cancel-ok is handed out like the rest.
            setEnd(DRAINED);
        } catch (ClosedException e) {
            // The channel closed meanwhile: the subscription ended with it.
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Deliveries buffered and not taken (for the drain's report). */
    public int buffered() {
        int n = 0;
        for (InboundDelivery d = head.next(); d != null && d != d.next(); d = d.next()) {
            n++;
        }
        return n;
    }

    /** Waits for cancel-ok, the broker's cancel or the channel's close; returns whether it was interrupted meanwhile. */
    private boolean awaitCancelDone() {
        boolean interrupted = false;
        for (;;) {
            try {
                ctx.await(cancelDone);
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    /** {@link #cancelConsumer()} by the first caller only; a later one waits for cancelDone instead. */
    private boolean cancelOnce() {
        return cancelSent.compareAndSet(false, true) && cancelConsumer();
    }

    /**
     * basic.cancel in the slot, waiting for its cancel-ok within the operation timeout (past it
     * the channel is aborted, which ends this subscription too); returns whether the thread was
     * interrupted meanwhile.
     */
    private boolean cancelConsumer() {
        boolean interrupted = false;
        RpcRequest cancel;
        for (;;) {
            try {
                cancel = ctx.startRpc(new AMQP.Basic.Cancel.Builder().consumerTag(consumerTag).build());
                break;
            } catch (InterruptedException e) {
                // Interrupted while queued for the slot: nothing was sent, so try again.
                interrupted = true;
            }
        }
        for (;;) {
            try {
                ctx.awaitReply(cancel);
                // After cancel-ok no delivery follows (the broker's word for a cancelled consumer).
                cancelDone.complete(null);
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }

    private IllegalStateException closedByApplication() {
        return new IllegalStateException("the subscription to queue '" + queue + "' was "
                + (end == DRAINED ? "cancelled and drained" : "closed") + " by the application");
    }

    private static long toNanos(Duration d) {
        if (d.isNegative() || d.isZero()) {
            return 0L;
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        Object e = end;
        String state = e == null ? "active" : e == CANCELLED ? "cancelled by the broker"
                : e == APP_CLOSED ? "closed" : e == DRAINED ? "cancelled by the application" : "channel closed";
        return "Subscription[queue '" + queue + "', tag '" + consumerTag + "', " + state + "]";
    }
}
