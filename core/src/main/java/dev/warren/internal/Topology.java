package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Command;
import dev.warren.DeclaredQueue;
import dev.warren.ExchangeSpec;
import dev.warren.QueueSpec;
import java.util.Map;
import java.util.Objects;

/**
 * The synchronous AMQP methods of a channel that shape the broker (declare, bind, unbind, purge,
 * delete, qos): each checks its arguments and goes through the channel's slot
 * ({@link ChannelContext#rpc}). See {@code BlockingChannel} for each one's contract.
 */
public final class Topology {
    private final ChannelContext ctx;

    public Topology(ChannelContext ctx) {
        this.ctx = ctx;
    }

    public DeclaredQueue queueDeclare(QueueSpec spec) throws InterruptedException {
        Objects.requireNonNull(spec, "spec");
        return declared(ctx.rpc(new AMQP.Queue.Declare.Builder().queue(spec.name()).durable(spec.durable())
                .exclusive(spec.exclusive()).autoDelete(spec.autoDelete()).arguments(spec.arguments()).build()));
    }

    public DeclaredQueue queueDeclarePassive(String queue) throws InterruptedException {
        Names.require(queue, "queue name");
        return declared(ctx.rpc(new AMQP.Queue.Declare.Builder().queue(queue).passive().build()));
    }

    public void queueBind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ctx.rpc(new AMQP.Queue.Bind.Builder().queue(Names.require(queue, "queue name"))
                .exchange(Names.allowEmpty(exchange, "exchange name"))
                .routingKey(Names.allowEmpty(routingKey, "routing key"))
                .arguments(Objects.requireNonNull(arguments, "arguments")).build());
    }

    public void queueUnbind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ctx.rpc(new AMQP.Queue.Unbind.Builder().queue(Names.require(queue, "queue name"))
                .exchange(Names.allowEmpty(exchange, "exchange name"))
                .routingKey(Names.allowEmpty(routingKey, "routing key"))
                .arguments(Objects.requireNonNull(arguments, "arguments")).build());
    }

    public int queuePurge(String queue) throws InterruptedException {
        Command c = ctx.rpc(new AMQP.Queue.Purge.Builder().queue(Names.require(queue, "queue name")).build());
        return ((AMQP.Queue.PurgeOk) c.getMethod()).getMessageCount();
    }

    public int queueDelete(String queue, boolean ifUnused, boolean ifEmpty) throws InterruptedException {
        Command c = ctx.rpc(new AMQP.Queue.Delete.Builder().queue(Names.require(queue, "queue name"))
                .ifUnused(ifUnused).ifEmpty(ifEmpty).build());
        return ((AMQP.Queue.DeleteOk) c.getMethod()).getMessageCount();
    }

    public void exchangeDeclare(ExchangeSpec spec) throws InterruptedException {
        Objects.requireNonNull(spec, "spec");
        ctx.rpc(new AMQP.Exchange.Declare.Builder().exchange(spec.name()).type(spec.type()).durable(spec.durable())
                .autoDelete(spec.autoDelete()).internal(spec.internal()).arguments(spec.arguments()).build());
    }

    public void exchangeDeclarePassive(String exchange) throws InterruptedException {
        ctx.rpc(new AMQP.Exchange.Declare.Builder().exchange(Names.require(exchange, "exchange name")).passive()
                .build());
    }

    public void exchangeDelete(String exchange, boolean ifUnused) throws InterruptedException {
        ctx.rpc(new AMQP.Exchange.Delete.Builder().exchange(Names.require(exchange, "exchange name"))
                .ifUnused(ifUnused).build());
    }

    public void exchangeBind(String destination, String source, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ctx.rpc(new AMQP.Exchange.Bind.Builder().destination(Names.require(destination, "destination exchange"))
                .source(Names.require(source, "source exchange"))
                .routingKey(Names.allowEmpty(routingKey, "routing key"))
                .arguments(Objects.requireNonNull(arguments, "arguments")).build());
    }

    public void exchangeUnbind(String destination, String source, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ctx.rpc(new AMQP.Exchange.Unbind.Builder().destination(Names.require(destination, "destination exchange"))
                .source(Names.require(source, "source exchange"))
                .routingKey(Names.allowEmpty(routingKey, "routing key"))
                .arguments(Objects.requireNonNull(arguments, "arguments")).build());
    }

    public void basicQos(int prefetchCount, boolean global) throws InterruptedException {
        if (prefetchCount < 0 || prefetchCount > 65535) {
            throw new IllegalArgumentException("prefetchCount must be 0..65535, not " + prefetchCount);
        }
        ctx.rpc(new AMQP.Basic.Qos.Builder().prefetchCount(prefetchCount).global(global).build());
    }

    private static DeclaredQueue declared(Command c) {
        AMQP.Queue.DeclareOk ok = (AMQP.Queue.DeclareOk) c.getMethod();
        return new DeclaredQueue(ok.getQueue(), ok.getMessageCount(), ok.getConsumerCount());
    }
}
