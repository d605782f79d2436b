package dev.warren.internal;

import com.rabbitmq.client.Channel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The machinery behind one {@code BlockingChannel}, each concern in its own type: the bridge and
 * outbound path ({@link ChannelContext}), the scope ({@link Scope}), topology ({@link Topology}),
 * publishing ({@link Publisher}), consuming ({@link Consumers}) and request/reply
 * ({@link RpcClient}, started by the first call).
 */
public final class ChannelParts {
    private final ChannelContext ctx;
    private final Scope scope;
    private final Topology topology;
    private final Publisher publisher;
    private final Consumers consumers;
    private final AtomicReference<RpcClient> rpc = new AtomicReference<>();
    private final AtomicReference<Channel> guarded = new AtomicReference<>();

    /**
     * Sets up a channel opened by amqp-client: its outbound path, confirm mode (a round trip,
     * through the writer; interrupts wait, within the operation timeout) and its close hooks. The
     * calling thread becomes the scope's owner.
     */
    public ChannelParts(Channel raw, String connectionName, Writer writer, BlockedGate gate, int maxUnconfirmed,
            Duration publishTimeout, Duration operationTimeout) {
        this(raw, connectionName, writer, gate, maxUnconfirmed, publishTimeout, operationTimeout, Telemetry.NONE);
    }

    /** As above, reporting to {@code telemetry} (its connection's observer, JFR). */
    public ChannelParts(Channel raw, String connectionName, Writer writer, BlockedGate gate, int maxUnconfirmed,
            Duration publishTimeout, Duration operationTimeout, Telemetry telemetry) {
        this.ctx = new ChannelContext(raw, connectionName, writer, operationTimeout, telemetry);
        this.scope = new Scope("warren-ch" + raw.getChannelNumber());
        this.topology = new Topology(ctx);
        this.consumers = new Consumers(ctx);
        // Hooks run in this order on close: unconfirmed publishes fail before subtasks are cancelled.
        this.publisher = new Publisher(ctx, gate, maxUnconfirmed, publishTimeout);
        ctx.onClose(c -> scope.cancelAll());
        ctx.countOnClose(() -> 0, scope::liveCount);
    }

    public ChannelContext context() {
        return ctx;
    }

    public Scope scope() {
        return scope;
    }

    public Topology topology() {
        return topology;
    }

    public Publisher publisher() {
        return publisher;
    }

    public Consumers consumers() {
        return consumers;
    }

    /** The request/reply client, made by the first call (its consumer starts then too). */
    public RpcClient rpc() {
        RpcClient c = rpc.get();
        if (c == null) {
            c = new RpcClient(ctx, publisher, consumers);
            if (!rpc.compareAndSet(null, c)) {
                c = rpc.get();
            }
        }
        return c;
    }

    /** Threads parked in publish on this channel. */
    public int parkedInPublish() {
        return publisher.parkedCount();
    }

    /** Threads parked in call on this channel. */
    public int parkedInCall() {
        RpcClient c = rpc.get();
        return c == null ? 0 : c.pendingCount();
    }

    /** Threads parked in take, poll or iteration on this channel's subscriptions. */
    public int parkedInTake() {
        return consumers.parkedTakers();
    }

    /** The request/reply client if a call made it, else null. */
    public RpcClient rpcIfMade() {
        return rpc.get();
    }

    /** The amqp-client channel as {@code unwrap()} hands it out: see {@link RawChannelGuard}. */
    public Channel guardedRaw() {
        Channel g = guarded.get();
        if (g == null) {
            guarded.compareAndSet(null, RawChannelGuard.wrap(ctx.raw(), publisher));
            g = guarded.get();
        }
        return g;
    }
}
