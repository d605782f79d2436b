package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Envelope;
import dev.warren.ClosedException;
import dev.warren.ConsumeOptions;
import dev.warren.Delivery;
import dev.warren.Subscription;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The subscriptions of one channel. One close hook per channel ends them all, so that opening
 * and closing a subscription costs O(1) however many there are (a close hook per subscription
 * would cost a scan of the channel's hook queue to remove).
 */
public final class Consumers {
    private final Set<SubscriptionImpl> live = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean hooked = new AtomicBoolean();

    /** Subscriptions of this channel that have not ended, for tests and diagnostics. */
    public int liveCount() {
        return live.size();
    }

    /**
     * basic.qos (per consumer) and basic.consume in one turn of the channel's slot, so that a
     * concurrent consume with another prefetch cannot slip in between.
     */
    public Subscription consume(ChannelContext ctx, Scope scope, String queue, ConsumeOptions options)
            throws InterruptedException {
        Names.require(queue, "queue name");
        Objects.requireNonNull(options, "options");
        if (!hooked.get() && hooked.compareAndSet(false, true)) {
            ctx.onClose(this::channelClosed);
        }
        SubscriptionImpl s = new SubscriptionImpl(this, ctx, scope, queue, options);
        live.add(s);
        try {
            // Added, then the close read: either the hook sees it or this sees the close.
            ctx.ensureOpen();
            String tag = ctx.rawRpc(() -> {
                if (!options.autoAck()) {
                    ctx.raw().basicQos(options.prefetch(), false);
                }
                return ctx.raw().basicConsume(queue, options.autoAck(), options.consumerTag(), false,
                        options.exclusive(), options.arguments(), s);
            });
            s.started(tag);
            return s;
        } catch (RuntimeException | InterruptedException | Error e) {
            live.remove(s);
            throw e;
        }
    }

    void removed(SubscriptionImpl s) {
        live.remove(s);
    }

    private void channelClosed(ClosedException cause) {
        for (SubscriptionImpl s : live) {
            s.channelClosed(cause);
        }
    }

    /**
     * basic.get with manual acknowledgement.
     *
     * @throws ClosedException when the channel closes first (e.g. 404 for a missing queue)
     * @throws InterruptedException when interrupted while the channel is open; a message the
     *         broker hands over after that is requeued, so it is not held until the channel closes
     */
    public static Optional<Delivery> get(ChannelContext ctx, String queue) throws InterruptedException {
        Names.require(queue, "queue name");
        CompletableFuture<Command> reply = ctx.startRpc(new AMQP.Basic.Get.Builder().queue(queue).noAck(false).build());
        Command c;
        try {
            c = ctx.await(reply);
        } catch (InterruptedException e) {
            reply.thenAccept(late -> {
                if (late.getMethod() instanceof AMQP.Basic.GetOk ok) {
                    try {
                        ctx.raw().basicNack(ok.getDeliveryTag(), false, true);
                    } catch (IOException | RuntimeException ignored) {
                        // The channel is closing: the broker requeues it by itself.
                    }
                }
            });
            throw e;
        }
        if (c.getMethod() instanceof AMQP.Basic.GetOk ok) {
            Envelope env = new Envelope(ok.getDeliveryTag(), ok.getRedelivered(), ok.getExchange(), ok.getRoutingKey());
            return Optional.of(new InboundDelivery(ctx, env, (AMQP.BasicProperties) c.getContentHeader(),
                    c.getContentBody(), false));
        }
        return Optional.empty();
    }
}
