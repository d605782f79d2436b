package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Envelope;
import dev.warren.ClosedException;
import dev.warren.ConsumeOptions;
import dev.warren.Delivery;
import dev.warren.Subscription;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
    private final ChannelContext ctx;
    private final ConsumerRouter router;

    public Consumers(ChannelContext ctx) {
        this.ctx = ctx;
        this.router = new ConsumerRouter(ctx);
    }

    /** Subscriptions of this channel that have not ended, for tests and diagnostics. */
    public int liveCount() {
        return live.size();
    }

    /** The subscriptions of this channel that have not ended, at this moment (for a graceful drain). */
    public java.util.List<SubscriptionImpl> liveSubscriptions() {
        return java.util.List.copyOf(live);
    }

    ConsumerRouter router() {
        return router;
    }

    /**
     * basic.qos (per consumer) and basic.consume in one turn of the channel's slot, so that a
     * concurrent consume with another prefetch cannot slip in between.
     */
    public Subscription consume(Scope scope, String queue, ConsumeOptions options) throws InterruptedException {
        Names.require(queue, "queue name");
        Objects.requireNonNull(options, "options");
        FieldTables.checkArguments(options.arguments(), "consumer argument", ctx.frameMax());
        String tag = options.consumerTag().isEmpty() ? ConsumerRouter.newTag() : options.consumerTag();
        SubscriptionImpl s = new SubscriptionImpl(this, ctx, scope, queue, options, tag);
        router.register(tag, s);
        try {
            register(s);
            AMQP.Basic.Consume consume = new AMQP.Basic.Consume.Builder().queue(queue).consumerTag(tag)
                    .noAck(options.autoAck()).exclusive(options.exclusive()).arguments(options.arguments()).build();
            if (options.autoAck()) {
                ctx.rpc(consume);
            } else {
                ctx.rpc(new AMQP.Basic.Qos.Builder().prefetchCount(options.prefetch()).global(false).build(), consume);
            }
            return s;
        } catch (RuntimeException | InterruptedException | Error e) {
            router.unregister(tag);
            live.remove(s);
            throw e;
        }
    }

    /**
     * Makes the channel's close reach {@code s}.
     *
     * @throws ClosedException if the channel is closed already
     */
    void register(SubscriptionImpl s) {
        if (!hooked.get() && hooked.compareAndSet(false, true)) {
            ctx.onClose(this::channelClosed);
            ctx.countOnClose(this::parkedTakers, () -> 0);
        }
        live.add(s);
        // Added, then the close read: either the hook sees it or this sees the close.
        ctx.ensureOpen();
    }

    void removed(SubscriptionImpl s) {
        live.remove(s);
        router.unregister(s.consumerTag());
    }

    private void channelClosed(ClosedException cause) {
        for (SubscriptionImpl s : live) {
            s.channelClosed(cause);
        }
    }

    /** Threads parked in take, poll or iteration on this channel's subscriptions (a gauge). */
    int parkedTakers() {
        int n = 0;
        for (SubscriptionImpl s : live) {
            n += s.parkedTakers();
        }
        return n;
    }

    /**
     * basic.get with manual acknowledgement.
     *
     * @throws ClosedException when the channel closes first (e.g. 404 for a missing queue)
     * @throws InterruptedException when interrupted while the channel is open; a message the
     *         broker hands over after that is requeued, so it is not held until the channel closes
     */
    public Optional<Delivery> get(String queue) throws InterruptedException {
        Names.require(queue, "queue name");
        RpcRequest request = ctx.startRpc(new AMQP.Basic.Get.Builder().queue(queue).noAck(false).build());
        Command c;
        try {
            c = ctx.awaitReply(request);
        } catch (InterruptedException e) {
            // On the reader thread when it comes: the nack is handed to the writer, not written there.
            request.onLateReply(late -> {
                Delivery d = delivery(late);
                if (d != null) {
                    try {
                        d.nack(true);
                    } catch (ClosedException ignored) {
                        // The channel is closing: the broker requeues it by itself.
                    }
                }
            });
            throw e;
        }
        return Optional.ofNullable(delivery(c));
    }

    private InboundDelivery delivery(Command c) {
        if (c.getMethod() instanceof AMQP.Basic.GetOk ok) {
            Envelope env = new Envelope(ok.getDeliveryTag(), ok.getRedelivered(), ok.getExchange(), ok.getRoutingKey());
            return new InboundDelivery(ctx, env, (AMQP.BasicProperties) c.getContentHeader(), c.getContentBody(), false);
        }
        return null;
    }
}
