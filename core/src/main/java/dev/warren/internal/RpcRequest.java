package dev.warren.internal;

import com.rabbitmq.client.Command;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A synchronous AMQP method in flight: written by the writer with amqp-client's asynchronous
 * RPC (which never waits), completed by the reply on amqp-client's reader, by the close, or
 * ended at its deadline, which aborts the channel (see {@link ChannelContext#rpcTimedOut}).
 */
public final class RpcRequest extends OneShot implements Outbound {
    private final ChannelContext ctx;
    /** The methods to send, one after the other's reply, in one turn of the channel's slot. */
    private final Method[] methods;
    private volatile int stage;
    private volatile Consumer<Command> lateReply;
    private final AtomicBoolean lateHandled = new AtomicBoolean();

    RpcRequest(ChannelContext ctx, Method[] methods, long deadline) {
        super(deadline);
        this.ctx = ctx;
        this.methods = methods;
    }

    /** The method being sent or awaited now. */
    Method method() {
        return methods[stage];
    }

    @Override
    public void write() throws IOException {
        ctx.raw().asyncCompletableRpc(methods[stage]).whenComplete(this::replied);
    }

    /** On amqp-client's reader (or the closing thread): the next method goes back to the writer. */
    private void replied(Command reply, Throwable failure) {
        if (failure != null) {
            ShutdownSignalException closing = Closes.signalOf(failure);
            if (closing != null && ctx.closedCause() == null) {
                // amqp-client fails the method before it tells the channel's listeners: recorded
                // now, the close counts this method among the operations it failed.
                ctx.shutdown(Closes.from(closing, ctx.number(), ctx.connectionName()));
            }
            complete(failure);
        } else if (stage < methods.length - 1) {
            stage++;
            ctx.send(this);
        } else {
            complete(reply);
        }
    }

    @Override
    public void abandon(Throwable cause) {
        complete(cause);
    }

    @Override
    void expire() {
        ctx.rpcTimedOut(this);
    }

    @Override
    void completed(Object result) {
        ctx.rpcFinished(this);
        if (result instanceof Command reply && lateReply != null && lateHandled.compareAndSet(false, true)) {
            lateReply.accept(reply);
        }
    }

    /**
     * For a caller that stopped waiting: runs {@code action} with the reply once it arrives (on
     * the completing thread, which must not block: hand work to the writer), or at once if it
     * has arrived already. Runs at most once.
     */
    public void onLateReply(Consumer<Command> action) {
        lateReply = action;
        if (outcome() instanceof Command reply && lateHandled.compareAndSet(false, true)) {
            action.accept(reply);
        }
    }
}
