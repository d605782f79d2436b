package dev.warren.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The one outbound path of a connection: every frame Warren sends on any channel of the
 * connection is written by this one platform thread, in each channel's order.
 *
 * <p>Why a thread of its own, not the caller: the JDK closes a socket whose virtual thread is
 * interrupted while it blocks in a write, which would kill every channel of the connection; a
 * caller can be interrupted by anyone (a timeout, a cancelled task, {@code shutdownNow}), this
 * thread by nobody, since no reference to it leaves Warren. Callers put their frame on their
 * channel's queue and wait for their own outcome, so none of them ever writes for the others and
 * none is held longer than its own wait. A platform thread, because a write that blocks while
 * amqp-client holds a monitor would pin a virtual thread's carrier on Java 21. One per
 * connection, because amqp-client writes one frame at a time to the connection's socket anyway.
 *
 * <p>Channels with something to send queue up here; each turn writes at most
 * {@link #BURST} items of one channel, so a busy channel cannot starve the others. The socket
 * is flushed when the writer runs out of work (see {@link BurstFlush}), not after every command.
 */
public final class Writer {
    /** Items of one channel written per turn before the next channel's turn. */
    static final int BURST = 64;

    private static final VarHandle PARKED;

    static {
        try {
            PARKED = MethodHandles.lookup().findVarHandle(Writer.class, "parked", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ConcurrentLinkedQueue<ChannelContext> ready = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean parked;
    private volatile boolean stopped;
    private volatile Throwable lost;
    /** The connection's frame handler as the writer flushes it, once the connection is made. */
    private volatile BurstFlush flusher;

    /** Starts the writer thread, named {@code name}. */
    public Writer(String name) {
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
        thread.start();
    }

    /** Gives {@code ctx} a turn; the channel makes sure it is queued at most once at a time. */
    void schedule(ChannelContext ctx) {
        ready.offer(ctx);
        if (stopped) {
            // The thread may have made its last pass already: nothing would write this.
            drainStopped();
            return;
        }
        if (parked && PARKED.compareAndSet(this, true, false)) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * Ends the thread once it has given every queued channel its turn; what is sent after that
     * is abandoned at once. Never blocks.
     */
    public void stop() {
        stopped = true;
        LockSupport.unpark(thread);
    }

    /**
     * Makes {@code handler}, the connection's frame handler, flush once per burst of this
     * writer's (see {@link BurstFlush}).
     *
     * @return the handler for amqp-client to use
     */
    com.rabbitmq.client.impl.FrameHandler flushingInBursts(com.rabbitmq.client.impl.FrameHandler handler) {
        BurstFlush f = new BurstFlush(handler, thread);
        flusher = f;
        return f;
    }

    /** Records why the connection's socket is being closed under the writer (before it is). */
    void lost(Throwable cause) {
        lost = cause;
    }

    /** Why the socket was closed under the writer, or null. */
    Throwable lostBecause() {
        return lost;
    }

    /** Whether the writer thread still runs (for tests). */
    public boolean isAlive() {
        return thread.isAlive();
    }

    private void run() {
        for (;;) {
            ChannelContext ctx = ready.poll();
            if (ctx != null) {
                ctx.writeTurn(BURST);
                continue;
            }
            flushBurst();
            if (stopped) {
                drainStopped();
                return;
            }
            parked = true;
            // Parked written first, queue read second; a scheduler writes the queue first and
            // reads parked second: one of the two sees the other.
            if (ready.isEmpty() && !stopped) {
                LockSupport.park(this);
            }
            parked = false;
            // Nobody outside Warren can reach this thread, so an interrupt is no instruction.
            Thread.interrupted();
        }
    }

    /**
     * On the writer thread, when it is out of work or a caller waits for what it wrote: sends
     * what the last turns left in the socket's buffer.
     */
    void flushBurst() {
        BurstFlush f = flusher;
        if (f == null) {
            return;
        }
        try {
            f.flushBurst();
        } catch (IOException e) {
            // Frames of several channels are lost with it, and their publishers wait for
            // confirms: close the socket, so that the reader ends the connection and fails them.
            if (lost == null) {
                lost = e;
            }
            f.delegate.close();
        }
    }

    private void drainStopped() {
        ChannelContext ctx;
        while ((ctx = ready.poll()) != null) {
            ctx.abandonQueued();
        }
    }
}
